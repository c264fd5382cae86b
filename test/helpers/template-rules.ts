/**
 * The deploy template rules (ARCHITECTURE.md, "Deploy template rules") as pure checks on a packaged
 * CloudFormation template. Each rule returns its violations as readable strings; an empty list passes.
 * They read intrinsic functions structurally (`Fn::GetAtt`, `Ref`, `Fn::Sub`) and never resolve them
 * against AWS, so anything they cannot prove counts as a violation rather than a pass.
 */

/** One resource of a CloudFormation template, loosely typed: rules check shapes themselves. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

/** The parts of a CloudFormation template the rules read. */
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
}

/** A rule: the template in, violations out. */
export type TemplateRule = (template: CfnTemplate) => string[];

type Entry = [id: string, resource: CfnResource];

const SQS_QUEUE = 'AWS::SQS::Queue';
const SQS_DEFAULT_VISIBILITY_SECONDS = 30;
const SQS_DEFAULT_RETENTION_SECONDS = 345_600;
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
const MIN_MAX_RECEIVE_COUNT = 3;
const VISIBILITY_FACTOR = 6;
const FRAMEWORK_SHARED_ROLE = 'IamRoleLambdaExecution';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asList = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const props = (resource: CfnResource): Record<string, unknown> => resource.Properties ?? {};

const propsOf = (template: CfnTemplate, id: string): Record<string, unknown> =>
  template.Resources?.[id]?.Properties ?? {};

const resourcesOfType = (template: CfnTemplate, type: string): Entry[] =>
  Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);

/** The logical id in `{"Fn::GetAtt": [id, attribute]}` (or `"id.attribute"`), if the attribute matches. */
function getAttTarget(value: unknown, attribute: (name: string) => boolean): string | undefined {
  if (!isRecord(value)) return undefined;
  const raw = value['Fn::GetAtt'];
  const [id, attr] = typeof raw === 'string' ? raw.split('.', 2) : Array.isArray(raw) ? raw : [];
  return typeof id === 'string' && typeof attr === 'string' && attribute(attr) ? id : undefined;
}

/** The logical id in `{"Ref": id}`, if any. */
function refTarget(value: unknown): string | undefined {
  return isRecord(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
}

function numberOr(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' ? Number(value) : value;
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : Number.NaN;
}

/** A queue's redrive policy, given as an object or as the JSON string older templates use. */
function redrivePolicy(queue: CfnResource): Record<string, unknown> | undefined {
  const raw = props(queue).RedrivePolicy;
  if (typeof raw !== 'string') return isRecord(raw) ? raw : undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Logical ids of the queues some other queue names as its dead-letter target. */
export function deadLetterQueueIds(template: CfnTemplate): Set<string> {
  const ids = new Set<string>();
  for (const [, queue] of resourcesOfType(template, SQS_QUEUE)) {
    const target = getAttTarget(redrivePolicy(queue)?.deadLetterTargetArn, (a) => a === 'Arn');
    if (target) ids.add(target);
  }
  return ids;
}

/**
 * Every queue that is not itself a DLQ has a DLQ in this template, with maxReceiveCount >= 3, and the
 * DLQ keeps messages longer than its source queue.
 */
export const everyQueueHasDeadLetterQueue: TemplateRule = (template) => {
  const dlqs = deadLetterQueueIds(template);
  const violations: string[] = [];
  for (const [id, queue] of resourcesOfType(template, SQS_QUEUE)) {
    if (dlqs.has(id)) continue;
    const policy = redrivePolicy(queue);
    if (!policy) {
      violations.push(`${id}: no RedrivePolicy (no dead-letter queue)`);
      continue;
    }
    const dlqId = getAttTarget(policy.deadLetterTargetArn, (a) => a === 'Arn');
    const dlq = dlqId ? template.Resources?.[dlqId] : undefined;
    if (!dlqId || dlq?.Type !== SQS_QUEUE) {
      violations.push(`${id}: deadLetterTargetArn is not Fn::GetAtt of a queue in this template`);
    }
    const maxReceiveCount = numberOr(policy.maxReceiveCount, Number.NaN);
    if (!(maxReceiveCount >= MIN_MAX_RECEIVE_COUNT)) {
      violations.push(`${id}: maxReceiveCount ${String(policy.maxReceiveCount)} is below 3`);
    }
    // SQS keeps the original enqueue time on redrive: a shorter DLQ retention loses dead letters early.
    const retention = numberOr(props(queue).MessageRetentionPeriod, SQS_DEFAULT_RETENTION_SECONDS);
    const dlqRetention = dlq
      ? numberOr(props(dlq).MessageRetentionPeriod, SQS_DEFAULT_RETENTION_SECONDS)
      : Number.NaN;
    if (dlq && !(dlqRetention > retention)) {
      violations.push(
        `${id}: DLQ ${dlqId} keeps messages ${dlqRetention} s, not longer than ${retention} s`,
      );
    }
  }
  return violations;
};

/** The queue an event source mapping reads, when it is a queue in this template. */
function mappingQueueId(template: CfnTemplate, mapping: CfnResource): string | undefined {
  const id = getAttTarget(props(mapping).EventSourceArn, (a) => a === 'Arn');
  return id && template.Resources?.[id]?.Type === SQS_QUEUE ? id : undefined;
}

function isSqsMapping(template: CfnTemplate, mapping: CfnResource): boolean {
  const arn = props(mapping).EventSourceArn;
  return mappingQueueId(template, mapping) !== undefined || JSON.stringify(arn).includes(':sqs:');
}

/** Every SQS event source mapping reports partial batch failures. */
export const everySqsEventReportsBatchItemFailures: TemplateRule = (template) =>
  resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
    .filter(([, mapping]) => isSqsMapping(template, mapping))
    .filter(([, m]) => !asList(props(m).FunctionResponseTypes).includes('ReportBatchItemFailures'))
    .map(([id]) => `${id}: FunctionResponseTypes lacks ReportBatchItemFailures`);

/** The function an event source mapping invokes (GetAtt Arn, Ref, or an alias built with Fn::Join). */
function mappingFunctionId(mapping: CfnResource): string | undefined {
  const target = props(mapping).FunctionName;
  const joined = isRecord(target) ? asList(target['Fn::Join'])[1] : undefined;
  const candidates = [target, ...asList(joined)];
  for (const candidate of candidates) {
    const id = getAttTarget(candidate, (a) => a === 'Arn') ?? refTarget(candidate);
    if (id) return id;
  }
  return undefined;
}

/** Each consumed queue's visibility timeout >= 6 x its consumer's timeout + batching window. */
export const visibilityCoversConsumers: TemplateRule = (template) => {
  const violations: string[] = [];
  for (const [id, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    if (!isSqsMapping(template, mapping)) continue;
    const queueId = mappingQueueId(template, mapping);
    const functionId = mappingFunctionId(mapping);
    const queue = queueId ? template.Resources?.[queueId] : undefined;
    const fn = functionId ? template.Resources?.[functionId] : undefined;
    if (!queue || fn?.Type !== 'AWS::Lambda::Function') {
      violations.push(`${id}: queue or consumer function is not in this template`);
      continue;
    }
    const visibility = numberOr(props(queue).VisibilityTimeout, SQS_DEFAULT_VISIBILITY_SECONDS);
    const timeout = numberOr(props(fn).Timeout, LAMBDA_DEFAULT_TIMEOUT_SECONDS);
    const window = numberOr(props(mapping).MaximumBatchingWindowInSeconds, 0);
    const needed = VISIBILITY_FACTOR * timeout + window;
    if (!(visibility >= needed)) {
      violations.push(
        `${queueId}: VisibilityTimeout ${visibility} s < 6 x ${functionId} Timeout ${timeout} s + window ${window} s = ${needed} s`,
      );
    }
  }
  return violations;
};

/**
 * Every SQS mapping with a batch size over 10 has a batching window of at least 1 s: Lambda refuses
 * the mapping otherwise.
 */
export const largeSqsBatchesHaveBatchingWindow: TemplateRule = (template) =>
  resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
    .filter(([, mapping]) => isSqsMapping(template, mapping))
    .filter(([, mapping]) => numberOr(props(mapping).BatchSize, 10) > 10)
    .filter(([, mapping]) => !(numberOr(props(mapping).MaximumBatchingWindowInSeconds, 0) >= 1))
    .map(
      ([id, mapping]) =>
        `${id}: BatchSize ${String(props(mapping).BatchSize)} needs MaximumBatchingWindowInSeconds of at least 1`,
    );

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

/** Every table is on-demand and expires its items by TTL. */
export const everyTableIsOnDemandWithTtl: TemplateRule = (template) =>
  resourcesOfType(template, 'AWS::DynamoDB::Table').flatMap(([id, table]) => {
    const violations: string[] = [];
    if (props(table).BillingMode !== 'PAY_PER_REQUEST') {
      violations.push(`${id}: not PAY_PER_REQUEST`);
    }
    const ttl = props(table).TimeToLiveSpecification;
    if (!isRecord(ttl) || ttl.Enabled !== true || !ttl.AttributeName) {
      violations.push(`${id}: TimeToLiveSpecification is not enabled on an attribute`);
    }
    return violations;
  });

/** Every log group has a retention, and every function's log group is declared (so it gets one). */
export const everyLogGroupHasRetention: TemplateRule = (template) => {
  const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
  const violations = logGroups
    .filter(([, group]) => !(numberOr(props(group).RetentionInDays, Number.NaN) > 0))
    .map(([id]) => `${id}: no RetentionInDays`);
  const declared = new Set(logGroups.map(([, group]) => props(group).LogGroupName));
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const config = props(fn).LoggingConfig;
    const custom = isRecord(config) ? config.LogGroup : undefined;
    const name = custom ?? `/aws/lambda/${String(props(fn).FunctionName)}`;
    const ref = refTarget(name);
    const isDeclared = ref
      ? template.Resources?.[ref]?.Type === 'AWS::Logs::LogGroup'
      : declared.has(name);
    if (!isDeclared) violations.push(`${id}: its log group is not declared in the template`);
  }
  return violations;
};

/** True when the alarm fires on one visible message in the queue `dlqId`. */
function alarmsOnDepth(template: CfnTemplate, alarm: CfnResource, dlqId: string): boolean {
  const p = props(alarm);
  const dlqName = propsOf(template, dlqId).QueueName;
  const watchesQueue = asList(p.Dimensions).some(
    (d) =>
      isRecord(d) &&
      d.Name === 'QueueName' &&
      (getAttTarget(d.Value, (a) => a === 'QueueName') === dlqId ||
        (dlqName !== undefined && d.Value === dlqName)),
  );
  const threshold = numberOr(p.Threshold, Number.NaN);
  const firesOnOne =
    (p.ComparisonOperator === 'GreaterThanOrEqualToThreshold' && threshold <= 1) ||
    (p.ComparisonOperator === 'GreaterThanThreshold' && threshold < 1);
  return (
    p.Namespace === 'AWS/SQS' &&
    p.MetricName === 'ApproximateNumberOfMessagesVisible' &&
    watchesQueue &&
    firesOnOne &&
    asList(p.AlarmActions).length > 0
  );
}

/** Every DLQ has an alarm with an action on its depth (one visible message is enough). */
export const everyDeadLetterQueueHasDepthAlarm: TemplateRule = (template) => {
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
  return [...deadLetterQueueIds(template)]
    .filter((dlqId) => template.Resources?.[dlqId]?.Type === SQS_QUEUE)
    .filter((dlqId) => !alarms.some(([, alarm]) => alarmsOnDepth(template, alarm, dlqId)))
    .map((dlqId) => `${dlqId}: no alarm with an action on ApproximateNumberOfMessagesVisible >= 1`);
};

/** All deploy template rules, keyed by what they require. */
export const deployTemplateRules: Readonly<Record<string, TemplateRule>> = Object.freeze({
  'every queue has a DLQ with maxReceiveCount of at least 3': everyQueueHasDeadLetterQueue,
  'every SQS event reports batch item failures': everySqsEventReportsBatchItemFailures,
  "each queue's visibility timeout covers 6 x its consumer's timeout plus batching window":
    visibilityCoversConsumers,
  'an SQS batch over 10 has a batching window of at least 1 s': largeSqsBatchesHaveBatchingWindow,
  'each function has its own least-privilege role': everyFunctionHasItsOwnLeastPrivilegeRole,
  'tables are on-demand with TTL': everyTableIsOnDemandWithTtl,
  'log groups have a retention': everyLogGroupHasRetention,
  'each DLQ has an alarm on its depth': everyDeadLetterQueueHasDepthAlarm,
});
