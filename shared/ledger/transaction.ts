import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type LedgerTable, refusedItem } from './ledger-table';
import type { LedgerUpdate } from './requests';
import type { LedgerEntry } from './types';

// The batched ledger's transactions (batched-ledger.ts): one TransactWriteItems of many jobs'
// updates, and how DynamoDB says which of them it refused.

/** How a transaction ended; `reasons` says, action by action, why a cancelled one was. */
export type Outcome =
  | { kind: 'written' }
  | { kind: 'cancelled'; reasons: { code?: string; item?: LedgerEntry }[] }
  | { kind: 'error'; error: unknown };

/** One TransactWriteItems of `updates`; a cancelled one wrote nothing. */
export async function transactUpdates(
  table: LedgerTable,
  updates: LedgerUpdate[],
): Promise<Outcome> {
  try {
    await table.documents.send(
      new TransactWriteCommand({
        TransactItems: updates.map((update) => ({
          Update: { ...update, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
        })),
        // The SDK may send the request again after a timeout: the token makes a transaction that
        // went through the first time succeed again without being applied twice.
        ClientRequestToken: randomUUID(),
      }),
    );
    return { kind: 'written' };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) return { kind: 'error', error };
    return {
      kind: 'cancelled',
      reasons: updates.map((_, index) => {
        const reason = error.CancellationReasons?.[index];
        return {
          ...(reason?.Code ? { code: reason.Code } : {}),
          ...(reason?.Item ? { item: refusedItem(reason.Item) } : {}),
        };
      }),
    };
  }
}

/** Two actions on one item cannot share a transaction: a job's later entries go one by one. */
export function oncePerJob<T>(entries: readonly T[], jobOf: (entry: T) => string) {
  const seen = new Set<string>();
  const batch: T[] = [];
  const alone: T[] = [];
  for (const entry of entries) {
    (seen.has(jobOf(entry)) ? alone : batch).push(entry);
    seen.add(jobOf(entry));
  }
  return { batch, alone };
}

export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}
