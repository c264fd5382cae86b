import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DeadLetterIndexItem } from '../../../shared/dead-letter/dead-letter';
import { listDeadLetters } from '../../../shared/dead-letter/dead-letter-index';
import type { LocalStackState } from '../stack/local-stack';

/** An email the sandbox provider accepted (metadata says which event it came from). */
export interface SandboxEmail {
  messageId: string;
  /** The provider call it came in. */
  callId: string;
  tag?: string;
  metadata?: Record<string, string>;
}

/** A call the sandbox email provider received (`answeredAt` unset: no answer was given). */
export interface SandboxCall {
  callId: string;
  at: number;
  status: number;
  /** Messages in the call (0 for a call refused before reading them, such as a 401). */
  messages?: number;
  answeredAt?: number;
}

/** A call the sandbox engine received (`answeredAt` unset: no answer was given). */
export interface EngineCall {
  callId: string;
  at: number;
  idempotencyKey?: string;
  status: number;
  replayed: boolean;
  /** The execution it started or was answered with (also set for a hang after starting one). */
  executionId?: string;
  answeredAt?: number;
}

/** An execution the sandbox engine started. */
export interface EngineExecution {
  executionId: string;
  idempotencyKey?: string;
}

/** A job's ledger item, as the consumers keep it in the state table. */
export interface LedgerItem {
  pk: string;
  status: string;
  history?: string[];
}

/** A message received from a DLQ: the job's id and the reason it carries (none after a redrive). */
export interface DeadLetterMessage {
  queue: 'email' | 'workflow';
  jobId: string;
  reasonCode?: string;
}

/** Names of the private stack's queues, by role. */
export function queuesOf(state: LocalStackState) {
  const byName = (suffix: string) => {
    const queue = Object.values(state.queues).find((q) => q.name.endsWith(suffix));
    if (!queue) throw new Error(`No queue ending in ${suffix}`);
    return queue;
  };
  return {
    email: byName('-email-jobs'),
    emailDlq: byName('-email-jobs-dlq'),
    workflow: byName('-workflow-jobs'),
    workflowDlq: byName('-workflow-jobs-dlq'),
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Every email the sandbox provider accepted, and every call it received (with its status). */
export async function sandboxEmails(state: LocalStackState) {
  const { messages } = await getJson<{ messages: SandboxEmail[] }>(
    `${state.emailSandbox}/sandbox/messages`,
  );
  const { calls } = await getJson<{ calls: SandboxCall[] }>(`${state.emailSandbox}/sandbox/calls`);
  const { searches } = await getJson<{ searches: { status: number }[] }>(
    `${state.emailSandbox}/sandbox/searches`,
  );
  return { messages, calls, searches };
}

/** Every execution the sandbox engine started and every call it received. */
export async function engineRecords(state: LocalStackState, withCalls = true) {
  const { executions } = await getJson<{ executions: EngineExecution[] }>(
    `${state.workflowSandbox}/sandbox/executions`,
  );
  const calls = withCalls
    ? (await getJson<{ calls: EngineCall[] }>(`${state.workflowSandbox}/sandbox/calls`)).calls
    : [];
  return { executions, calls };
}

/** The dead-letter index of both job queues (what the consumers and ingest dead-lettered). */
export async function deadLetterIndex(
  dynamoDb: DynamoDBClient,
  state: LocalStackState,
): Promise<DeadLetterIndexItem[]> {
  const queues = queuesOf(state);
  const table = Object.values(state.tables).find((t) => t.name.endsWith('-state'))?.name as string;
  const lists = await Promise.all(
    [queues.email.name, queues.workflow.name].map((queue) =>
      listDeadLetters(dynamoDb, table, { queue, limit: Number.MAX_SAFE_INTEGER }),
    ),
  );
  return lists.flat();
}

/** Every job ledger item in the state table. */
export async function ledgerItems(
  dynamoDb: DynamoDBClient,
  state: LocalStackState,
): Promise<LedgerItem[]> {
  const table = Object.values(state.tables).find((t) => t.name.endsWith('-state'))?.name as string;
  const items: LedgerItem[] = [];
  let startKey: Record<string, never> | undefined;
  do {
    const page = await dynamoDb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(pk, :job)',
        ExpressionAttributeValues: { ':job': { S: 'job#' } },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) items.push(unmarshall(item) as LedgerItem);
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey);
  return items;
}

/**
 * Receives every message of both DLQs, keeping each invisible for the rest of the run so it is seen
 * once. A message moved by the queue's own redrive (a crashing consumer) carries no reason.
 */
export async function drainDeadLetterQueues(
  sqs: SQSClient,
  state: LocalStackState,
): Promise<DeadLetterMessage[]> {
  const queues = queuesOf(state);
  const letters: DeadLetterMessage[] = [];
  for (const [queue, url] of [
    ['email', queues.emailDlq.url],
    ['workflow', queues.workflowDlq.url],
  ] as const) {
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 3600,
          MessageAttributeNames: ['All'],
        }),
      );
      empty = Messages.length === 0 ? empty + 1 : 0;
      for (const message of Messages) letters.push(toDeadLetter(queue, message));
    }
  }
  return letters;
}

function toDeadLetter(queue: 'email' | 'workflow', message: Message): DeadLetterMessage {
  let jobId = message.MessageAttributes?.jobId?.StringValue;
  if (!jobId) {
    try {
      jobId = (JSON.parse(message.Body ?? '{}') as { id?: string }).id;
    } catch {
      jobId = undefined;
    }
  }
  const reasonCode = message.MessageAttributes?.reasonCode?.StringValue;
  return {
    queue,
    jobId: jobId ?? `(unreadable ${message.MessageId})`,
    ...(reasonCode ? { reasonCode } : {}),
  };
}
