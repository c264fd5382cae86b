import { appendFileSync } from 'node:fs';

/**
 * Records every AWS SDK command a function sends, for the deploy-template test that proves each
 * role allows the calls its function makes (issue 21). Only tests set `AWS_CALL_RECORD_FILE` (the
 * `AWS_` prefix lets serverless offline pass it to the handlers); without it nothing is added.
 * Written here because the SDK has no built-in call log that names the resource a call resolves to.
 * The record holds names only (queue URL, table, key attribute names, secret id), never values.
 */
export interface RecordedCall {
  function: string;
  service: string;
  command: string;
  resources: string[];
  keys?: string[];
}

type Input = Record<string, unknown>;

/** The resources named by a command's input: queue URLs, table names, secret ids, statements. */
export function resourcesOf(input: Input): string[] {
  const found = new Set<string>();
  for (const name of ['QueueUrl', 'TableName', 'SecretId', 'Statement']) {
    const value = input[name];
    if (typeof value === 'string') found.add(value);
  }
  // A query of an index is authorised on the index's ARN (table/<name>/index/<index>), not the table's.
  if (typeof input.TableName === 'string' && typeof input.IndexName === 'string') {
    found.delete(input.TableName);
    found.add(`${input.TableName}/index/${input.IndexName}`);
  }
  const items = input.RequestItems;
  if (items && typeof items === 'object') for (const table of Object.keys(items)) found.add(table);
  return [...found].sort();
}

type Middleware = (
  next: (args: { input: Input }) => Promise<unknown>,
  context: Input,
) => (args: { input: Input }) => Promise<unknown>;
type Stack = {
  add: (middleware: Middleware, options: { step: 'initialize'; name: string }) => void;
};

/**
 * How a client built outside a Lambda container (a test harness running a function's wiring in the
 * jest process) says whose calls it carries: the function's name, and the names the function has in
 * the stack for the harness's own resources (its queue URL, its secret prefix).
 */
export interface RecordAs {
  functionName: string;
  rename?: (resource: string) => string;
}

/** A transaction's actions by the command IAM authorises each as (DynamoDB has no transaction action). */
const TRANSACT_ACTIONS: Record<string, string> = {
  Get: 'GetItemCommand',
  Put: 'PutItemCommand',
  Update: 'UpdateItemCommand',
  Delete: 'DeleteItemCommand',
  ConditionCheck: 'ConditionCheckItemCommand',
};

/**
 * The calls one command stands for: itself, or for a transaction (TransactWriteItems, TransactGetItems)
 * each of its actions, since IAM authorises a transaction action by action (`Update`: `dynamodb:UpdateItem`).
 */
export function callsOf(command: string, input: Input): { command: string; input: Input }[] {
  const transaction =
    command === 'TransactWriteItemsCommand' || command === 'TransactGetItemsCommand';
  if (!transaction || !Array.isArray(input.TransactItems)) {
    return [{ command, input }];
  }
  return (input.TransactItems as Input[]).flatMap((item) =>
    Object.entries(item ?? {}).flatMap(([kind, part]) =>
      TRANSACT_ACTIONS[kind] && part && typeof part === 'object'
        ? [{ command: TRANSACT_ACTIONS[kind] as string, input: part as Input }]
        : [],
    ),
  );
}

/**
 * Adds the recording middleware to a client when `AWS_CALL_RECORD_FILE` is set. Returns the client.
 * Calls are attributed to `AWS_LAMBDA_FUNCTION_NAME` unless `as` names the function.
 */
export function recordCalls<C extends { middlewareStack: object }>(
  client: C,
  service: string,
  env: Record<string, string | undefined> = process.env,
  as?: RecordAs,
): C {
  const file = env.AWS_CALL_RECORD_FILE;
  if (!file) return client;
  const rename = as?.rename ?? ((resource: string) => resource);
  (client.middlewareStack as unknown as Stack).add(
    (next, context) => async (args: { input: Input }) => {
      const input = args.input ?? {};
      const functionName = as?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown';
      const command = String(context.commandName ?? 'unknown');
      const calls = callsOf(command, input).map(
        ({ command: name, input: part }): RecordedCall => ({
          function: functionName,
          service,
          command: name,
          resources: resourcesOf(part).map(rename).sort(),
          ...(part.Key && typeof part.Key === 'object'
            ? { keys: Object.keys(part.Key).sort() }
            : {}),
        }),
      );
      appendFileSync(file, calls.map((call) => `${JSON.stringify(call)}\n`).join(''));
      return next(args);
    },
    { step: 'initialize', name: 'recordAwsCall' },
  );
  return client;
}
