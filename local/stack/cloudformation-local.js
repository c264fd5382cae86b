/**
 * Reads the queues and tables of the resolved CloudFormation resources (the same `resources/*.yml`
 * used for deploy) and resolves intrinsic functions to what they mean on the local stack.
 */

/** The account and region the local stack pretends to be in. */
const LOCAL_ACCOUNT_ID = '000000000000';
const LOCAL_REGION = 'us-east-1';

/**
 * @typedef {object} LocalQueue
 * @property {string} logicalId
 * @property {string} name
 * @property {string} url
 * @property {string} arn
 * @property {Record<string, unknown>} properties the CloudFormation properties, intrinsics resolved
 *
 * @typedef {object} LocalTable
 * @property {string} logicalId
 * @property {string} name
 * @property {string} arn
 * @property {Record<string, any>} properties the CloudFormation properties, intrinsics resolved
 *
 * @typedef {object} LocalTopology
 * @property {LocalQueue[]} queues
 * @property {LocalTable[]} tables
 * @property {(value: unknown) => unknown} resolve resolves intrinsics anywhere inside `value`
 */

/**
 * @param {{ Type?: string, Properties?: Record<string, unknown> }} resource
 * @param {string} logicalId
 * @param {string} stackName
 * @param {string} nameProperty
 * @param {(value: unknown) => unknown} resolve
 * @returns {string}
 */
function physicalName(resource, logicalId, stackName, nameProperty, resolve) {
  const declared = resource.Properties?.[nameProperty];
  // CloudFormation generates a name when none is given; a stable local stand-in is enough.
  return declared === undefined ? `${stackName}-${logicalId}` : String(resolve(declared));
}

/**
 * Builds the local view of the resources.
 * @param {Record<string, any> | undefined} resources `serverless.service.resources.Resources`
 * @param {{ sqsEndpoint: string, stackName: string, warn?: (message: string) => void }} options
 * @returns {LocalTopology}
 */
function localTopology(resources, { sqsEndpoint, stackName, warn = () => {} }) {
  const entries = Object.entries(resources ?? {});
  /** @type {Map<string, Record<string, string>>} attribute values per logical id, `Ref` included */
  const attributes = new Map();
  const pseudo = {
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT_ID,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stackName,
  };

  const resolve = (/** @type {unknown} */ value) => resolveIntrinsics(value, lookup);
  /** @param {string} name @param {string} [attribute] */
  function lookup(name, attribute) {
    if (attribute === undefined && name in pseudo)
      return pseudo[/** @type {'AWS::Region'} */ (name)];
    const value = attributes.get(name)?.[attribute ?? 'Ref'];
    if (value !== undefined) return value;
    warn(
      `Cannot resolve ${attribute ? `${name}.${attribute}` : `Ref ${name}`} locally; left as is.`,
    );
    return attribute ? `${name}.${attribute}` : name;
  }

  // Names first (they may only refer to pseudo parameters), then everything else can refer to them.
  for (const [logicalId, resource] of entries) {
    if (resource?.Type === 'AWS::SQS::Queue') {
      const name = physicalName(resource, logicalId, stackName, 'QueueName', resolve);
      const arn = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${name}`;
      const url = `${sqsEndpoint}/${LOCAL_ACCOUNT_ID}/${name}`;
      attributes.set(logicalId, { Ref: url, Arn: arn, QueueName: name, QueueUrl: url });
    } else if (resource?.Type === 'AWS::DynamoDB::Table') {
      const name = physicalName(resource, logicalId, stackName, 'TableName', resolve);
      const arn = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${name}`;
      attributes.set(logicalId, { Ref: name, Arn: arn, StreamArn: `${arn}/stream/local` });
    } else if (resource?.Type === 'AWS::SecretsManager::Secret') {
      const name = physicalName(resource, logicalId, stackName, 'Name', resolve);
      const arn = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}`;
      attributes.set(logicalId, { Ref: arn, Id: arn, Name: name });
    }
  }

  /** @type {LocalQueue[]} */
  const queues = [];
  /** @type {LocalTable[]} */
  const tables = [];
  for (const [logicalId, resource] of entries) {
    const known = attributes.get(logicalId);
    if (known === undefined) continue;
    const properties = /** @type {Record<string, any>} */ (resolve(resource.Properties ?? {}));
    if (resource.Type === 'AWS::SQS::Queue') {
      queues.push({
        logicalId,
        name: /** @type {string} */ (known.QueueName),
        url: /** @type {string} */ (known.QueueUrl),
        arn: /** @type {string} */ (known.Arn),
        properties,
      });
    } else if (resource.Type === 'AWS::DynamoDB::Table') {
      tables.push({
        logicalId,
        name: /** @type {string} */ (known.Ref),
        arn: /** @type {string} */ (known.Arn),
        properties,
      });
    }
  }
  return { queues: deadLetterQueuesFirst(queues), tables, resolve };
}

/**
 * Orders queues so that every dead-letter queue comes before the queues that redrive into it.
 * @param {LocalQueue[]} queues
 * @returns {LocalQueue[]}
 */
function deadLetterQueuesFirst(queues) {
  const byArn = new Map(queues.map((queue) => [queue.arn, queue]));
  /** @type {LocalQueue[]} */
  const ordered = [];
  const visiting = new Set();
  /** @param {LocalQueue} queue */
  const visit = (queue) => {
    if (ordered.includes(queue) || visiting.has(queue)) return;
    visiting.add(queue);
    const target = redrivePolicyOf(queue)?.deadLetterTargetArn;
    const dlq = typeof target === 'string' ? byArn.get(target) : undefined;
    if (dlq) visit(dlq);
    ordered.push(queue);
  };
  for (const queue of queues) visit(queue);
  return ordered;
}

/**
 * The queue's redrive policy as an object (CloudFormation accepts an object or a JSON string).
 * @param {LocalQueue} queue
 * @returns {{ deadLetterTargetArn?: unknown, maxReceiveCount?: unknown } | undefined}
 */
function redrivePolicyOf(queue) {
  const policy = queue.properties.RedrivePolicy;
  if (typeof policy === 'string') return JSON.parse(policy);
  return /** @type {any} */ (policy ?? undefined);
}

/**
 * Replaces `Ref`, `Fn::GetAtt`, `Fn::Sub` and `Fn::Join` inside `value` using `lookup`.
 * @param {unknown} value
 * @param {(name: string, attribute?: string) => string} lookup
 * @returns {unknown}
 */
function resolveIntrinsics(value, lookup) {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, lookup));
  if (value === null || typeof value !== 'object') return value;
  const object = /** @type {Record<string, any>} */ (value);
  const keys = Object.keys(object);
  if (keys.length === 1) {
    const [key] = keys;
    const argument = object[/** @type {string} */ (key)];
    if (key === 'Ref' && typeof argument === 'string') return lookup(argument);
    if (key === 'Fn::GetAtt') {
      const [name, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
      return lookup(String(name), String(attribute));
    }
    if (key === 'Fn::Sub') return substitute(argument, lookup);
    if (key === 'Fn::Join' && Array.isArray(argument)) {
      const [delimiter, list] = argument;
      return /** @type {unknown[]} */ (resolveIntrinsics(list, lookup)).join(delimiter);
    }
  }
  return Object.fromEntries(keys.map((key) => [key, resolveIntrinsics(object[key], lookup)]));
}

/**
 * `Fn::Sub` with `${Name}`, `${Name.Attribute}`, `${!Literal}` and an optional variable map.
 * @param {unknown} argument
 * @param {(name: string, attribute?: string) => string} lookup
 * @returns {string}
 */
function substitute(argument, lookup) {
  const [template, variables = {}] = Array.isArray(argument) ? argument : [argument];
  const resolved = /** @type {Record<string, unknown>} */ (resolveIntrinsics(variables, lookup));
  return String(template).replace(/\$\{([^}]+)\}/g, (_match, /** @type {string} */ name) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in resolved) return String(resolved[name]);
    const dot = name.indexOf('.');
    return dot === -1 ? lookup(name) : lookup(name.slice(0, dot), name.slice(dot + 1));
  });
}

module.exports = {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  localTopology,
  redrivePolicyOf,
  resolveIntrinsics,
};
