// In-memory stand-ins for the AWS calls webhook ingest makes, for the capacity simulation (issue 20).
// Real SDK client instances (so Powertools and the suite's wiring accept them) whose `send` is answered
// here instead of over the network, on a virtual clock. DynamoDB items are kept per table and key, and
// every condition and update expression the ingest sends is evaluated as DynamoDB evaluates it (the
// subset it uses; anything else throws, so a change in the production code cannot be mis-simulated
// silently). Every operation is counted per item and per virtual second, a failed conditional write
// too (DynamoDB charges write capacity for it).

const {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} = require('@aws-sdk/client-dynamodb');
const {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} = require('@aws-sdk/client-secrets-manager');
const { SendMessageBatchCommand, SendMessageCommand, SQSClient } = require('@aws-sdk/client-sqs');

/** @typedef {Record<string, any>} AttributeValue a DynamoDB attribute value, `{ S: 'x' }` */
/** @typedef {Record<string, AttributeValue>} Item */

// ---- Expressions -------------------------------------------------------------------------------

/**
 * Splits an expression into tokens: names (`#n`, `plain.name`), values (`:v`), words, operators.
 * @param {string} text
 * @returns {string[]}
 */
function tokenize(text) {
  const tokens = text.match(/<>|<=|>=|[=<>(),+-]|[#:]?[A-Za-z0-9_.]+|\S/g) ?? [];
  return tokens;
}

/**
 * Resolves an operand token to its attribute name (for `#n` or a plain name).
 * @param {string} token
 * @param {Record<string, string> | undefined} names
 */
function attributeName(token, names) {
  if (token.startsWith('#')) {
    const name = names?.[token];
    if (name === undefined)
      throw new Error(`simulation: no ExpressionAttributeNames entry ${token}`);
    return name;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(token)) {
    throw new Error(
      `simulation: unsupported attribute path "${token}" (nested paths are not simulated)`,
    );
  }
  return token;
}

/**
 * @param {string} token
 * @param {Record<string, AttributeValue> | undefined} values
 * @returns {AttributeValue}
 */
function expressionValue(token, values) {
  const value = values?.[token];
  if (value === undefined)
    throw new Error(`simulation: no ExpressionAttributeValues entry ${token}`);
  return value;
}

/**
 * Orders two attribute values as DynamoDB does for `<`, `=` and the like: numbers numerically,
 * strings by code point; `undefined` when they cannot be compared (missing, or different types).
 * @param {AttributeValue | undefined} a
 * @param {AttributeValue | undefined} b
 * @returns {number | undefined}
 */
function compare(a, b) {
  if (a === undefined || b === undefined) return undefined;
  if (a.N !== undefined && b.N !== undefined) return Math.sign(Number(a.N) - Number(b.N));
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if (a.BOOL !== undefined && b.BOOL !== undefined) return a.BOOL === b.BOOL ? 0 : undefined;
  return undefined;
}

/**
 * Evaluates a ConditionExpression against an item (`undefined` when there is none): comparisons
 * (`= <> < <= > >=`), `attribute_exists`, `attribute_not_exists`, `AND`, `OR`, `NOT`, parentheses.
 * A comparison with a missing attribute is false, as in DynamoDB.
 * @param {string} expression
 * @param {Item | undefined} item
 * @param {Record<string, string> | undefined} names
 * @param {Record<string, AttributeValue> | undefined} values
 * @returns {boolean}
 */
function evaluateCondition(expression, item, names, values) {
  const tokens = tokenize(expression);
  let at = 0;
  const peek = () => tokens[at];
  const take = (/** @type {string} */ expected) => {
    const token = tokens[at];
    if (token !== expected) {
      throw new Error(`simulation: expected "${expected}" at "${token}" in: ${expression}`);
    }
    at += 1;
  };
  /** @returns {AttributeValue | undefined} */
  const operand = () => {
    const token = tokens[at++] ?? '';
    if (token.startsWith(':')) return expressionValue(token, values);
    return item?.[attributeName(token, names)];
  };
  /** @returns {boolean} */
  const primary = () => {
    const token = peek();
    if (token === '(') {
      take('(');
      const result = or();
      take(')');
      return result;
    }
    if (token?.toUpperCase() === 'NOT') {
      at += 1;
      return !primary();
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      at += 1;
      take('(');
      const name = attributeName(tokens[at++] ?? '', names);
      take(')');
      const exists = item !== undefined && item[name] !== undefined;
      return token === 'attribute_exists' ? exists : !exists;
    }
    if (token !== undefined && /^[a-z_]+$/.test(token) && tokens[at + 1] === '(') {
      throw new Error(`simulation: unsupported function ${token} in: ${expression}`);
    }
    const left = operand();
    const op = tokens[at++];
    const right = operand();
    const order = compare(left, right);
    switch (op) {
      case '=':
        return order === 0;
      case '<>':
        return order !== 0 && left !== undefined && right !== undefined;
      case '<':
        return order === -1;
      case '<=':
        return order === -1 || order === 0;
      case '>':
        return order === 1;
      case '>=':
        return order === 1 || order === 0;
      default:
        throw new Error(`simulation: unsupported operator "${op}" in: ${expression}`);
    }
  };
  /** @returns {boolean} */
  const and = () => {
    let result = primary();
    while (peek()?.toUpperCase() === 'AND') {
      at += 1;
      const right = primary();
      result = result && right;
    }
    return result;
  };
  /** @returns {boolean} */
  const or = () => {
    let result = and();
    while (peek()?.toUpperCase() === 'OR') {
      at += 1;
      const right = and();
      result = result || right;
    }
    return result;
  };
  const result = or();
  if (at !== tokens.length) {
    throw new Error(`simulation: unexpected "${tokens[at]}" in: ${expression}`);
  }
  return result;
}

/**
 * Applies an UpdateExpression to a copy of `item` (a new item when `undefined`): `SET` with values,
 * attributes, `if_not_exists(a, :v)` and `+`/`-` between numbers; `ADD` on a number (a missing one
 * counts as 0); `REMOVE`.
 * @param {string} expression
 * @param {Item} item the item as it is (its key attributes when new)
 * @param {Record<string, string> | undefined} names
 * @param {Record<string, AttributeValue> | undefined} values
 * @returns {Item}
 */
function applyUpdate(expression, item, names, values) {
  const next = { ...item };
  const tokens = tokenize(expression);
  let at = 0;
  const clauses = new Set(['SET', 'ADD', 'REMOVE', 'DELETE']);
  /** @returns {AttributeValue | undefined} */
  const single = () => {
    const token = tokens[at++] ?? '';
    if (token === 'if_not_exists') {
      if (tokens[at++] !== '(') throw new Error(`simulation: bad if_not_exists in: ${expression}`);
      const name = attributeName(tokens[at++] ?? '', names);
      if (tokens[at++] !== ',') throw new Error(`simulation: bad if_not_exists in: ${expression}`);
      const fallback = single();
      if (tokens[at++] !== ')') throw new Error(`simulation: bad if_not_exists in: ${expression}`);
      return item[name] ?? fallback;
    }
    if (token.startsWith(':')) return expressionValue(token, values);
    return item[attributeName(token, names)];
  };
  /** @returns {AttributeValue} */
  const value = () => {
    const left = single();
    const op = tokens[at];
    if (op !== '+' && op !== '-') {
      if (left === undefined)
        throw new Error(`simulation: SET from a missing attribute in: ${expression}`);
      return left;
    }
    at += 1;
    const right = single();
    if (left?.N === undefined || right?.N === undefined) {
      throw new Error(`simulation: ${op} needs two numbers in: ${expression}`);
    }
    return { N: String(Number(left.N) + (op === '+' ? 1 : -1) * Number(right.N)) };
  };
  while (at < tokens.length) {
    const clause = (tokens[at++] ?? '').toUpperCase();
    if (!clauses.has(clause) || clause === 'DELETE') {
      throw new Error(`simulation: unsupported update clause "${clause}" in: ${expression}`);
    }
    do {
      if (tokens[at] === ',') at += 1;
      const name = attributeName(tokens[at++] ?? '', names);
      if (clause === 'SET') {
        if (tokens[at++] !== '=') throw new Error(`simulation: SET without "=" in: ${expression}`);
        next[name] = value();
      } else if (clause === 'ADD') {
        const add = expressionValue(tokens[at++] ?? '', values);
        const current = next[name];
        if (add.N === undefined || (current !== undefined && current.N === undefined)) {
          throw new Error(`simulation: ADD is simulated on numbers only, in: ${expression}`);
        }
        next[name] = { N: String(Number(current?.N ?? 0) + Number(add.N)) };
      } else {
        delete next[name];
      }
    } while (tokens[at] === ',');
  }
  return next;
}

/**
 * An item's size as DynamoDB counts it, near enough: attribute names plus values (a number about
 * half its digits).
 * @param {Item | undefined} item
 */
function itemBytes(item) {
  if (!item) return 0;
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += Math.ceil(value.N.length / 2) + 1;
    else if (value.B !== undefined) bytes += value.B.length;
    else if (value.BOOL !== undefined || value.NULL !== undefined) bytes += 1;
    else bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}

// ---- The store ---------------------------------------------------------------------------------

/**
 * @typedef {object} OperationCount one item (or queue, or secret) in one virtual second
 * @property {string} service `dynamodb`, `sqs` or `secretsmanager`
 * @property {string} resource table, queue URL or secret name
 * @property {string} key the item's key (JSON), or the queue or secret again
 * @property {number} second virtual epoch second
 * @property {number} writes write requests, failed conditional ones included
 * @property {number} writeUnits write capacity units those cost (1 per started KB)
 * @property {number} failedConditions writes refused by their condition
 * @property {number} reads read requests (GetItem), or SQS / Secrets Manager calls
 * @property {number} messages SQS messages sent
 */

/**
 * The in-memory AWS of the simulation.
 * @param {{ now: () => number, tables: Record<string, string[]>, secrets?: Record<string, string> }} options
 *   `now`: virtual epoch milliseconds; `tables`: each table's key attribute names; `secrets`: secret
 *   name to SecretString
 */
function simulatedAws(options) {
  /** @type {Map<string, Map<string, Item>>} table -> key -> item */
  const tables = new Map(Object.keys(options.tables).map((name) => [name, new Map()]));
  /** @type {Map<string, OperationCount>} */
  const counts = new Map();
  let messageIds = 0;

  /**
   * @param {string} service
   * @param {string} resource
   * @param {string} key
   * @returns {OperationCount}
   */
  const counter = (service, resource, key) => {
    const second = Math.floor(options.now() / 1000);
    const id = `${service}\u0000${resource}\u0000${key}\u0000${second}`;
    let count = counts.get(id);
    if (!count) {
      count = {
        service,
        resource,
        key,
        second,
        writes: 0,
        writeUnits: 0,
        failedConditions: 0,
        reads: 0,
        messages: 0,
      };
      counts.set(id, count);
    }
    return count;
  };

  /**
   * @param {string} table
   * @param {Item} key
   */
  const keyOf = (table, key) => {
    const attributes = options.tables[table];
    if (!attributes || !tables.has(table)) throw new Error(`simulation: no table ${table}`);
    const names = Object.keys(key).sort();
    if (names.join(',') !== [...attributes].sort().join(',')) {
      throw new Error(
        `simulation: key ${names.join(',')} is not ${table}'s (${attributes.join(',')})`,
      );
    }
    return JSON.stringify(attributes.map((name) => key[name]));
  };

  /**
   * One conditional write, atomic as DynamoDB's are per item: the condition is checked against the
   * item as it is, and the write applied, with no await between.
   * @param {any} input
   * @param {(old: Item | undefined, key: Item) => Item | undefined} change the new item (undefined deletes)
   * @param {Item} key
   */
  const write = (input, change, key) => {
    const table = input.TableName;
    const id = keyOf(table, key);
    const items = /** @type {Map<string, Item>} */ (tables.get(table));
    const old = items.get(id);
    const count = counter('dynamodb', table, id);
    count.writes += 1;
    if (
      input.ConditionExpression &&
      !evaluateCondition(
        input.ConditionExpression,
        old,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      )
    ) {
      count.failedConditions += 1;
      count.writeUnits += Math.max(1, Math.ceil(itemBytes(old) / 1024));
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old
          ? { Item: /** @type {any} */ (old) }
          : {}),
      });
    }
    const next = change(old, key);
    count.writeUnits += Math.max(1, Math.ceil(Math.max(itemBytes(old), itemBytes(next)) / 1024));
    if (next) items.set(id, next);
    else items.delete(id);
    return { old, next };
  };

  /** @param {any} command */
  const dynamoDb = async (command) => {
    const input = command.input;
    if (command instanceof PutItemCommand) {
      const table = options.tables[input.TableName] ?? [];
      const key = Object.fromEntries(table.map((name) => [name, input.Item[name]]));
      const { old } = write(input, () => ({ ...input.Item }), key);
      return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
    }
    if (command instanceof UpdateItemCommand) {
      const { old, next } = write(
        input,
        (item, key) =>
          applyUpdate(
            input.UpdateExpression,
            item ?? { ...key },
            input.ExpressionAttributeNames,
            input.ExpressionAttributeValues,
          ),
        input.Key,
      );
      if (input.ReturnValues === 'ALL_NEW') return { Attributes: next };
      if (input.ReturnValues === 'UPDATED_NEW') {
        // The attributes the update changed, as they are now (the key attributes excluded).
        const changed = Object.fromEntries(
          Object.entries(next ?? {}).filter(
            ([name, value]) =>
              !(name in input.Key) && JSON.stringify(old?.[name]) !== JSON.stringify(value),
          ),
        );
        return { Attributes: changed };
      }
      if (input.ReturnValues === 'ALL_OLD') return old ? { Attributes: old } : {};
      if (input.ReturnValues && input.ReturnValues !== 'NONE') {
        throw new Error(`simulation: ReturnValues ${input.ReturnValues} is not simulated`);
      }
      return {};
    }
    if (command instanceof DeleteItemCommand) {
      const { old } = write(input, () => undefined, input.Key);
      return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
    }
    if (command instanceof GetItemCommand) {
      const id = keyOf(input.TableName, input.Key);
      counter('dynamodb', input.TableName, id).reads += 1;
      const item = tables.get(input.TableName)?.get(id);
      return item ? { Item: item } : {};
    }
    throw new Error(`simulation: DynamoDB ${command.constructor.name} is not simulated`);
  };

  /** @param {any} command */
  const sqs = async (command) => {
    const input = command.input;
    if (command instanceof SendMessageBatchCommand) {
      const count = counter('sqs', input.QueueUrl, input.QueueUrl);
      count.reads += 1;
      count.messages += input.Entries.length;
      return {
        Successful: input.Entries.map((/** @type {{ Id: string }} */ entry) => ({
          Id: entry.Id,
          MessageId: `sim-${++messageIds}`,
        })),
        Failed: [],
      };
    }
    if (command instanceof SendMessageCommand) {
      const count = counter('sqs', input.QueueUrl, input.QueueUrl);
      count.reads += 1;
      count.messages += 1;
      return { MessageId: `sim-${++messageIds}` };
    }
    throw new Error(`simulation: SQS ${command.constructor.name} is not simulated`);
  };

  /** @param {any} command */
  const secretsManager = async (command) => {
    if (!(command instanceof GetSecretValueCommand)) {
      throw new Error(`simulation: Secrets Manager ${command.constructor.name} is not simulated`);
    }
    const name = /** @type {string} */ (command.input.SecretId);
    counter('secretsmanager', name, name).reads += 1;
    const value = options.secrets?.[name];
    if (value === undefined) {
      throw new ResourceNotFoundException({ message: `no secret ${name}`, $metadata: {} });
    }
    return { Name: name, SecretString: value, VersionId: 'sim' };
  };

  // An address nothing listens on: a call that bypassed `send` would fail, not reach a real service.
  const config = {
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'simulation', secretAccessKey: 'simulation' },
    maxAttempts: 1,
  };
  /**
   * @template {{ send: Function }} C
   * @param {C} client
   * @param {(command: any) => Promise<unknown>} answer
   * @returns {C}
   */
  const answeredBy = (client, answer) => {
    Object.assign(client, { send: answer });
    return client;
  };

  return {
    /** Clients for one container (the wiring binds each to the invocation's deadline). */
    clients: () => ({
      dynamoDb: answeredBy(new DynamoDBClient(config), dynamoDb),
      sqs: answeredBy(new SQSClient(config), sqs),
      secretsManager: answeredBy(new SecretsManagerClient(config), secretsManager),
    }),
    /** Every count, one per resource and key and virtual second. */
    counts: () => [...counts.values()],
    /**
     * The item under `key` in `table`, as stored.
     * @param {string} table
     * @param {Item} key
     */
    item: (table, key) => tables.get(table)?.get(keyOf(table, key)),
    /** @param {string} table */
    items: (table) => [...(tables.get(table)?.values() ?? [])],
  };
}

module.exports = { applyUpdate, evaluateCondition, simulatedAws };
