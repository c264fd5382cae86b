import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type ResumeRecord, resumeRecordOf } from '../../state/resume';
import { type BreakerState, breakerKey } from './types';

/** The breaker as the health probe reads it: its state, why, and the last resume. */
export interface BreakerReading {
  state: BreakerState;
  /** Why it opened (or last changed): a phrase the consumer wrote, never a token. */
  reason?: string;
  /** ISO time the current cool-down ends, while open. */
  openUntil?: string;
  resume?: ResumeRecord;
}

/**
 * Reads an engine's breaker from the state table for the health probe (one `GetItem`; the probe's
 * role may read the table but never changes the breaker).
 */
export function breakerStateReader(options: {
  client: DynamoDBClient;
  tableName: string;
  engine: string;
  now?: () => number;
}): { read(signal?: AbortSignal): Promise<BreakerReading> } {
  const documents = DynamoDBDocumentClient.from(options.client);
  const now = options.now ?? Date.now;
  return {
    async read(signal) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: options.tableName, Key: breakerKey(options.engine) }),
        signal ? { abortSignal: signal } : {},
      );
      const resume = resumeRecordOf(Item);
      const extra = {
        ...(typeof Item?.reason === 'string' ? { reason: Item.reason } : {}),
        ...(resume ? { resume } : {}),
      };
      if (Item?.state !== 'open') return { state: 'closed', ...extra };
      const openUntil = Number(Item.openUntil ?? 0);
      if (openUntil <= now()) return { state: 'half-open', ...extra };
      return { state: 'open', openUntil: new Date(openUntil).toISOString(), ...extra };
    },
  };
}
