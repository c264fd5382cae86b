/** The IAM deploy template rule: one least-privilege role per function, no wildcards. */
import {
  asList,
  type CfnTemplate,
  getAttTarget,
  isRecord,
  props,
  propsOf,
  refTarget,
  resourcesOfType,
  type TemplateRule,
} from './template-rules-cfn';

const FRAMEWORK_SHARED_ROLE = 'IamRoleLambdaExecution';
/** Actions IAM grants on `*` only (no resource-level permissions), so `*` is their least privilege. */
const WITHOUT_RESOURCES = new Set(['cloudwatch:GetMetricData']);

/** Why one IAM Resource entry is not a specific ARN, or undefined when it is. */
function resourceProblem(template: CfnTemplate, value: unknown): string | undefined {
  if (typeof value === 'string') return arnProblem(value);
  if (!isRecord(value)) return 'is not a string or an intrinsic function';
  const sub = value['Fn::Sub'];
  if (sub !== undefined) {
    const text = Array.isArray(sub) ? sub[0] : sub;
    return typeof text === 'string' ? arnProblem(text) : 'is an unreadable Fn::Sub';
  }
  const join = value['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string') {
    // An intrinsic inside the join stands for one specific value (a Ref, a GetAtt).
    const text = asList(join[1]).map((part) => (typeof part === 'string' ? part : 'x'));
    return arnProblem(text.join(join[0]));
  }
  const id = getAttTarget(value, (a) => a.endsWith('Arn')) ?? refTarget(value);
  if (id) return template.Resources?.[id] ? undefined : `names ${id}, not in this template`;
  return value['Fn::ImportValue'] === undefined ? 'cannot be checked' : undefined;
}

/** `*` alone, a non-ARN, or a wildcard before the resource part of an ARN. */
function arnProblem(arn: string): string | undefined {
  if (arn === '*') return 'is *';
  const parts = arn.replace(/\$\{[^}]*\}/g, 'x').split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return `${arn} is not an ARN`;
  if (parts.slice(1, 5).some((part) => part.includes('*'))) return `${arn} has a wildcard`;
  const resource = parts.slice(5).join(':');
  return resource === '' || resource.startsWith('*') ? `${arn} names no resource` : undefined;
}

/** Every Allow statement a role is granted: its inline policies and policies attached to it. */
function allowStatements(template: CfnTemplate): Array<[owner: string, Record<string, unknown>]> {
  const documents: Array<[string, unknown]> = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of asList(props(resource).Policies)) {
        if (isRecord(policy)) documents.push([id, policy.PolicyDocument]);
      }
    } else if (
      resource.Type === 'AWS::IAM::Policy' ||
      resource.Type === 'AWS::IAM::ManagedPolicy'
    ) {
      documents.push([id, props(resource).PolicyDocument]);
    }
  }
  return documents.flatMap(([owner, document]) =>
    asList(isRecord(document) ? document.Statement : undefined)
      .filter(isRecord)
      .filter((statement) => statement.Effect !== 'Deny')
      .map((statement): [string, Record<string, unknown>] => [owner, statement]),
  );
}

/** The log-group name a logs ARN points at, when it can be read. */
function logGroupOf(resource: unknown): string | undefined {
  const sub = isRecord(resource) ? resource['Fn::Sub'] : resource;
  const text = Array.isArray(sub) ? sub[0] : sub;
  return typeof text === 'string' ? /:log-group:([^:]+)/.exec(text)?.[1] : undefined;
}

/** Functions by the role they use; a function without its own role here is a violation. */
function functionsByRole(template: CfnTemplate, violations: string[]): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const roleId = getAttTarget(props(fn).Role, (a) => a === 'Arn');
    if (!roleId || roleId === FRAMEWORK_SHARED_ROLE || !isRole(template, roleId)) {
      violations.push(`${id}: Role is not Fn::GetAtt of its own role in this template`);
    } else {
      users.set(roleId, [...(users.get(roleId) ?? []), id]);
    }
  }
  return users;
}

const isRole = (template: CfnTemplate, id: string): boolean =>
  template.Resources?.[id]?.Type === 'AWS::IAM::Role';

/** Violations of one Allow statement: wildcard actions, Not* elements, unspecific resources. */
function statementProblems(template: CfnTemplate, statement: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
    problems.push('uses NotAction or NotResource');
  }
  for (const action of asList(statement.Action)) {
    if (typeof action !== 'string' || action.includes('*')) {
      problems.push(`action ${JSON.stringify(action)} is not one specific action`);
    }
  }
  const resources = asList(statement.Resource);
  if (resources.length === 0) problems.push('no Resource');
  const actions = asList(statement.Action);
  // IAM accepts only "*" as the resource of these actions: they have no resource-level permissions.
  if (actions.length > 0 && actions.every((a) => WITHOUT_RESOURCES.has(String(a)))) {
    return resources.every((r) => r === '*') ? problems : [...problems, 'resource must be *'];
  }
  for (const resource of resources) {
    const problem = resourceProblem(template, resource);
    if (problem) problems.push(`resource ${problem}`);
  }
  return problems;
}

/**
 * Each function has its own role defined here (never the framework's shared one), assumable by Lambda
 * and without managed policies; no Allow statement has a `*` action or a resource that is not a
 * specific ARN; a function's role writes only to its own log group.
 */
export const everyFunctionHasItsOwnLeastPrivilegeRole: TemplateRule = (template) => {
  const violations: string[] = [];
  if (template.Resources?.[FRAMEWORK_SHARED_ROLE]) {
    violations.push(`${FRAMEWORK_SHARED_ROLE}: the framework's shared role is in the template`);
  }
  const statements = allowStatements(template);
  for (const [roleId, users] of functionsByRole(template, violations)) {
    if (users.length > 1) violations.push(`${roleId}: shared by ${users.join(', ')}`);
    const ownLogGroups = users.map(
      (id) => `/aws/lambda/${String(propsOf(template, id).FunctionName)}`,
    );
    for (const [owner, statement] of statements) {
      for (const group of asList(statement.Resource).map(logGroupOf)) {
        if (owner === roleId && group && !ownLogGroups.includes(group)) {
          violations.push(`${roleId}: writes to log group ${group}, not its function's own`);
        }
      }
    }
  }
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const trust = JSON.stringify(props(role).AssumeRolePolicyDocument ?? {});
    if (!trust.includes('"lambda.amazonaws.com"')) {
      violations.push(`${id}: not assumable by lambda.amazonaws.com`);
    }
    if (props(role).ManagedPolicyArns !== undefined) {
      violations.push(`${id}: has ManagedPolicyArns (managed policies grant * resources)`);
    }
  }
  for (const [owner, statement] of statements) {
    const label = `${owner} ${typeof statement.Sid === 'string' ? statement.Sid : 'statement'}`;
    violations.push(...statementProblems(template, statement).map((p) => `${label}: ${p}`));
  }
  return violations;
};
