import {
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { CheckResult, HealthStatus } from './health';

/** One scheduled run of every check. */
export interface ProbeRun {
  /** ISO time the run started; the sort key. */
  time: string;
  status: HealthStatus;
  checks: CheckResult[];
}

/** Settings for {@link HealthHistory}. */
export interface HealthHistoryOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The partition every run is stored under (one item per minute is far below a partition's limit). */
  partition: string;
  /** Runs expire this long after they were stored (DynamoDB TTL on `expiresAt`). */
  retentionSeconds: number;
  now: () => number;
}

/** A 24-hour query is a few MB at one run a minute: bounded so a bug can never loop for ever. */
const MAX_PAGES = 20;

type Item = Record<string, { S?: string; N?: string }>;

function toRun(item: Item): ProbeRun | undefined {
  const time = item.sk?.S;
  const status = item.status?.S as HealthStatus | undefined;
  if (!time || !status) return undefined;
  try {
    return { time, status, checks: JSON.parse(item.checks?.S ?? '[]') as CheckResult[] };
  } catch {
    return undefined;
  }
}

/**
 * The scheduled probe's history in the state table: one item per run, keyed by the run's time under
 * one partition, with a TTL. `/health` reads the latest run; `/status` the last 24 hours.
 */
export class HealthHistory {
  readonly #options: HealthHistoryOptions;

  constructor(options: HealthHistoryOptions) {
    this.#options = options;
  }

  /** Stores a run; it expires after the retention. */
  async save(run: ProbeRun, signal?: AbortSignal): Promise<void> {
    const { client, tableName, partition, retentionSeconds, now } = this.#options;
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: partition },
          sk: { S: run.time },
          status: { S: run.status },
          checks: { S: JSON.stringify(run.checks) },
          expiresAt: { N: String(Math.floor(now() / 1000) + retentionSeconds) },
        },
      }),
      signal ? { abortSignal: signal } : {},
    );
  }

  /** The most recent run, if any. */
  async latest(signal?: AbortSignal): Promise<ProbeRun | undefined> {
    const { Items = [] } = await this.#options.client.send(
      new QueryCommand({
        ...this.#query(),
        KeyConditionExpression: 'pk = :pk',
        ScanIndexForward: false,
        Limit: 1,
      }),
      signal ? { abortSignal: signal } : {},
    );
    return Items[0] ? toRun(Items[0] as Item) : undefined;
  }

  /** Every run since `from` (epoch ms), oldest first. */
  async since(from: number, signal?: AbortSignal): Promise<ProbeRun[]> {
    const runs: ProbeRun[] = [];
    let start: QueryCommandInput['ExclusiveStartKey'];
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const answer = await this.#options.client.send(
        new QueryCommand({
          ...this.#query(),
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          ExpressionAttributeValues: {
            ':pk': { S: this.#options.partition },
            ':from': { S: new Date(from).toISOString() },
          },
          ExclusiveStartKey: start,
        }),
        signal ? { abortSignal: signal } : {},
      );
      for (const item of answer.Items ?? []) {
        const run = toRun(item as Item);
        if (run) runs.push(run);
      }
      start = answer.LastEvaluatedKey;
      if (!start) break;
    }
    return runs;
  }

  #query() {
    return {
      TableName: this.#options.tableName,
      ExpressionAttributeValues: { ':pk': { S: this.#options.partition } },
    };
  }
}
