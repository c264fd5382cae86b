import {
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { CheckResult } from '../health';
import { type Check, elapsedMs, resultOf } from './check';

/** A table by name and the attribute names of its key, so a read can ask for an item that is absent. */
export interface TableRef {
  name: string;
  key: Record<string, string>;
}

/**
 * `dynamodb:readLatency`: each table is ACTIVE (DescribeTable) and answers a read, with the read's
 * latency. The read asks for an item that never exists, so it costs half a read unit and shows nothing.
 */
export function tableCheck(dynamoDb: DynamoDBClient, tables: readonly TableRef[]): Check {
  const check = {
    key: 'dynamodb:readLatency',
    componentType: 'datastore',
    componentIds: tables.map((t) => t.name),
    critical: true,
  };
  const probe = async (table: TableRef, signal: AbortSignal, now: () => number) => {
    try {
      const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: table.name }), {
        abortSignal: signal,
      });
      const key = Object.fromEntries(
        Object.entries(table.key).map(([attribute]) => [attribute, { S: 'health#probe' }]),
      );
      const started = performance.now();
      await dynamoDb.send(new GetItemCommand({ TableName: table.name, Key: key }), {
        abortSignal: signal,
      });
      const latency = elapsedMs(started);
      const active = Table?.TableStatus === 'ACTIVE';
      return resultOf(check, table.name, now, {
        status: active ? 'pass' : 'fail',
        observedValue: latency,
        observedUnit: 'ms',
        ...(active ? {} : { output: 'table is not active' }),
      });
    } catch {
      return resultOf(check, table.name, now, { status: 'fail', output: 'table unreachable' });
    }
  };
  return {
    ...check,
    run: ({ signal, now }) =>
      Promise.all(tables.map((table): Promise<CheckResult> => probe(table, signal, now))),
  };
}
