/**
 * Checks that what a template points at exists: `Ref` and `${...}` in `Fn::Sub` name a resource, a
 * parameter or a pseudo parameter; `Fn::GetAtt` names a resource and an attribute its type has;
 * `DependsOn` names resources; conditions and mappings named are declared.
 */
import type { CfnSpec } from './cfn-schema-spec';
import { intrinsicName } from './cfn-schema-values';
import { asList, isRecord } from './template-rules-cfn';

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const isCustomType = (type: unknown): boolean =>
  typeof type === 'string' &&
  (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource');

/** The sections of a template references are checked against. */
interface Names {
  resources: Record<string, unknown>;
  parameters: Record<string, unknown>;
  conditions: Record<string, unknown>;
  mappings: Record<string, unknown>;
}

const section = (template: Record<string, unknown>, name: string): Record<string, unknown> => {
  const value = template[name];
  return isRecord(value) ? value : {};
};

function refProblem(names: Names, target: unknown): string | undefined {
  if (typeof target !== 'string') return `Ref to ${JSON.stringify(target)}, not a name`;
  const known =
    target in names.resources || target in names.parameters || PSEUDO_PARAMETERS.has(target);
  return known
    ? undefined
    : `Ref to ${target}, which is not a resource, parameter or pseudo parameter`;
}

function getAttProblem(
  names: Names,
  spec: CfnSpec,
  id: unknown,
  attribute: unknown,
): string | undefined {
  if (typeof id !== 'string') return `Fn::GetAtt of ${JSON.stringify(id)}, not a logical id`;
  const resource = names.resources[id];
  if (!isRecord(resource)) return `Fn::GetAtt of ${id}, which is not a resource in this template`;
  // An attribute named by an intrinsic, or on a custom resource, can be anything.
  if (typeof attribute !== 'string' || isCustomType(resource.Type)) return undefined;
  const known = Object.keys(spec.resource(String(resource.Type))?.attributes ?? {});
  return known.length === 0 || known.includes(attribute)
    ? undefined
    : `Fn::GetAtt ${id}.${attribute}: ${String(resource.Type)} has no attribute ${attribute} (it has ${known.join(', ')})`;
}

/** The `Fn::GetAtt` operands: `[id, attribute]` or `"id.attribute"` (the attribute may hold dots). */
function getAttOperands(raw: unknown): [unknown, unknown] {
  if (typeof raw !== 'string') return Array.isArray(raw) ? [raw[0], raw[1]] : [raw, undefined];
  const dot = raw.indexOf('.');
  return dot < 0 ? [raw, undefined] : [raw.slice(0, dot), raw.slice(dot + 1)];
}

function subProblems(names: Names, spec: CfnSpec, raw: unknown): string[] {
  const [text, variables] = Array.isArray(raw) ? raw : [raw, {}];
  if (typeof text !== 'string') return ['Fn::Sub without a template string'];
  const local = isRecord(variables) ? variables : {};
  const problems: string[] = [];
  for (const [, inner = ''] of text.matchAll(/\$\{([^}]*)\}/g)) {
    const name = inner.trim();
    if (name.startsWith('!') || name in local) continue; // `${!x}` is a literal `${x}`
    const dot = name.indexOf('.');
    const problem =
      dot < 0
        ? refProblem(names, name)
        : getAttProblem(names, spec, name.slice(0, dot), name.slice(dot + 1));
    if (problem) problems.push(`Fn::Sub \${${name}}: ${problem}`);
  }
  return problems;
}

const present = (problem: string | undefined): string[] => (problem ? [problem] : []);

/** The problems of one intrinsic function (not of what it contains). */
function intrinsicProblems(names: Names, spec: CfnSpec, value: Record<string, unknown>): string[] {
  const name = intrinsicName(value) ?? ('Condition' in value ? 'Condition' : undefined);
  const raw = name ? value[name] : undefined;
  switch (name) {
    case 'Ref':
      return present(refProblem(names, raw));
    case 'Fn::GetAtt':
      return present(getAttProblem(names, spec, ...getAttOperands(raw)));
    case 'Fn::Sub':
      return subProblems(names, spec, raw);
    case 'Fn::If':
      return conditionProblems(names, Array.isArray(raw) ? raw[0] : raw, 'Fn::If');
    case 'Condition':
      return conditionProblems(names, raw, 'Condition');
    case 'Fn::FindInMap': {
      const map = Array.isArray(raw) ? raw[0] : raw;
      return typeof map !== 'string' || map in names.mappings
        ? []
        : [`Fn::FindInMap of ${map}, which is not in Mappings`];
    }
    default:
      return [];
  }
}

function conditionProblems(names: Names, condition: unknown, label: string): string[] {
  return typeof condition === 'string' && condition in names.conditions
    ? []
    : [`${label} ${JSON.stringify(condition)} is not in Conditions`];
}

/** Every intrinsic function under `node`, with its path. */
function* intrinsics(node: unknown, path: string): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* intrinsics(item, `${path}[${i}]`);
  } else if (isRecord(node)) {
    if (Object.keys(node).length === 1) yield [path, node];
    for (const [key, item] of Object.entries(node)) yield* intrinsics(item, `${path}.${key}`);
  }
}

/** Problems of everything a template points at; `spec` gives each resource type's attributes. */
export function referenceProblems(template: Record<string, unknown>, spec: CfnSpec): string[] {
  const names: Names = {
    resources: section(template, 'Resources'),
    parameters: section(template, 'Parameters'),
    conditions: section(template, 'Conditions'),
    mappings: section(template, 'Mappings'),
  };
  const problems: string[] = [];
  const check = (node: unknown, path: string, conditionKeyIsReference: boolean) => {
    for (const [at, value] of intrinsics(node, path)) {
      // Outside Conditions, a one-key object {"Condition": ...} is data, not a condition reference.
      if (!conditionKeyIsReference && intrinsicName(value) === undefined) continue;
      problems.push(...intrinsicProblems(names, spec, value).map((p) => `${at}: ${p}`));
    }
  };
  for (const [id, resource] of Object.entries(names.resources)) {
    if (!isRecord(resource)) continue;
    check(resource.Properties, `${id}.Properties`, false);
    if (resource.Condition !== undefined) {
      problems.push(
        ...conditionProblems(names, resource.Condition, 'Condition').map((p) => `${id}: ${p}`),
      );
    }
    for (const target of asList(resource.DependsOn)) {
      if (typeof target !== 'string' || !(target in names.resources) || target === id) {
        problems.push(`${id}.DependsOn: ${JSON.stringify(target)} is not another resource here`);
      }
    }
  }
  for (const [id, output] of Object.entries(section(template, 'Outputs'))) {
    check(output, `Outputs.${id}`, false);
    if (isRecord(output) && output.Condition !== undefined) {
      problems.push(
        ...conditionProblems(names, output.Condition, 'Condition').map(
          (p) => `Outputs.${id}: ${p}`,
        ),
      );
    }
  }
  check(names.conditions, 'Conditions', true);
  return problems;
}
