import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type LedgerTable, refusedItem } from './ledger-table';
import { type ClaimRequest, claimedResult, claimLine, claimRefusal, claimUpdate } from './requests';
import type { CallRecord, ClaimResult, LedgerEntry } from './types';

/**
 * Claims `jobId` for `claimMs` and counts one attempt, unless it was sent, another consumer holds a
 * live claim, or the id was first used for different content (`conflict`). The claim is a conditional
 * write, and the old item comes back (`ALL_OLD`), so a claim that expired while its holder was
 * calling is recognised as an ambiguous attempt rather than overwritten silently.
 * `JobLedger.claim` (job-ledger.ts) is how callers reach it.
 */
export async function claimJob(
  table: LedgerTable,
  jobId: string,
  fingerprint: string,
  token: string,
  claimMs: number,
  /** A fingerprint of the same content under an earlier version of its definition, also accepted. */
  previousFingerprint: string,
  /** The provider call this attempt will make, recorded with the claim. */
  call: CallRecord | undefined,
): Promise<ClaimResult> {
  const now = table.options.now();
  const request: ClaimRequest = { jobId, fingerprint, token, claimMs, previousFingerprint };
  if (call) request.call = call;
  const line = claimLine(table, request);
  try {
    const { Attributes } = await table.documents.send(
      new UpdateCommand({
        ...claimUpdate(table, request, line, { kind: 'any' }),
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return claimedResult(Attributes as LedgerEntry | undefined, request, line);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const current = (error.Item ? refusedItem(error.Item) : await table.get(jobId)) as LedgerEntry;
    // An item gone or changed since the condition failed: try again shortly.
    return (
      claimRefusal(current, [fingerprint, previousFingerprint], now) ?? {
        kind: 'busy',
        retryInMs: 1000,
      }
    );
  }
}
