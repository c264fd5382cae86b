/**
 * Validates a CloudFormation template against CloudFormation's own resource specification (from
 * `@aws-cdk/aws-service-spec`), offline: every resource type exists, every property exists for its
 * type, required properties are present, values have the types the specification gives (recursively),
 * and everything the template points at (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`, conditions)
 * exists. It catches what `serverless package` lets through and `cloudformation deploy` would refuse.
 *
 * Usage: `const spec = loadCfnSpec()` once (0.6 to 2 s), then `validateTemplateSchema(t, spec)`.
 */
import { referenceProblems } from './cfn-schema-references';
import type { CfnSpec } from './cfn-schema-spec';
import { shapeProblems } from './cfn-schema-values';
import { isRecord } from './template-rules-cfn';

export { type CfnSpec, loadCfnSpec } from './cfn-schema-spec';

const TEMPLATE_SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);

const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
]);

const DELETION_POLICIES = ['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'];
const UPDATE_REPLACE_POLICIES = ['Delete', 'Retain', 'Snapshot'];
const CUSTOM_RESOURCE = 'AWS::CloudFormation::CustomResource';

/** Problems of one resource: its keys, its type, its policies and its properties. */
function resourceProblems(id: string, resource: unknown, spec: CfnSpec): string[] {
  if (!isRecord(resource)) return [`${id}: is not an object`];
  const problems = Object.keys(resource)
    .filter((key) => !RESOURCE_KEYS.has(key))
    .map((key) => `${id}: unknown resource attribute ${key}`);
  const policies: Array<[string, string[]]> = [
    ['DeletionPolicy', DELETION_POLICIES],
    ['UpdateReplacePolicy', UPDATE_REPLACE_POLICIES],
  ];
  for (const [key, allowed] of policies) {
    const value = resource[key];
    if (value !== undefined && !allowed.includes(String(value))) {
      problems.push(`${id}.${key}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    }
  }
  const { Type: type, Properties: properties = {} } = resource;
  if (typeof type !== 'string') return [...problems, `${id}: Type is not a string`];
  // A custom resource takes any properties beside its ServiceToken.
  const custom = type.startsWith('Custom::');
  const shape = spec.resource(custom ? CUSTOM_RESOURCE : type);
  if (!shape) return [...problems, `${id}: unknown resource type ${type}`];
  return [...problems, ...shapeProblems(properties, shape, `${id}.Properties`, spec, custom)];
}

/**
 * Every problem CloudFormation's specification finds in `template`, as readable strings naming the
 * resource and property path; an empty list means the template is valid as far as the spec can tell.
 */
export function validateTemplateSchema(template: object, spec: CfnSpec): string[] {
  const document = template as Record<string, unknown>;
  const problems = Object.keys(document)
    .filter((key) => !TEMPLATE_SECTIONS.has(key))
    .map((key) => `template: unknown section ${key}`);
  const resources = document.Resources;
  if (!isRecord(resources) || Object.keys(resources).length === 0) {
    return [...problems, 'template: Resources is missing or empty'];
  }
  for (const [id, resource] of Object.entries(resources)) {
    problems.push(...resourceProblems(id, resource, spec));
  }
  for (const [id, output] of Object.entries(isRecord(document.Outputs) ? document.Outputs : {})) {
    if (!isRecord(output) || output.Value === undefined) problems.push(`Outputs.${id}: no Value`);
  }
  return [...problems, ...referenceProblems(document, spec)];
}
