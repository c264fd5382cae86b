import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type LedgerTable, refusedItem } from './ledger-table';
import { type LedgerUpdate, type StepRequest, stepUpdate } from './requests';
import type { LedgerEntry, StepResult } from './types';

// The holder's steps after its claim (sent, released, dead): each is written only while the item
// still carries the claim's token, so a holder whose claim ran out and was taken over gets
// `taken-over` and must leave the job to its new holder.

/** The claim was taken over: the step was not written. */
const TAKEN_OVER: StepResult = 'taken-over';

/** One step of the holder, written only while the item still carries the holder's token. */
export async function writeStep(table: LedgerTable, step: StepRequest): Promise<StepResult> {
  const update = stepUpdate(table, step);
  try {
    await table.documents.send(
      new UpdateCommand({ ...update, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    );
    return 'done';
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return error.Item && isThisStep(refusedItem(error.Item), update) ? 'done' : TAKEN_OVER;
  }
}

/**
 * Whether the item is this very step, already written. The SDK sends a write again when its answer
 * was lost (a timeout, a dropped connection: DynamoDB frozen mid-call, then resumed), and the step
 * removes the token it is conditional on, so the second send of a step DynamoDB applied fails its
 * condition. Taken for a takeover, the job was left to a holder that did not exist: its retry was
 * never re-sent and the job was lost (seen in the proof on one starved core). A takeover cannot look
 * like this: the new holder's claim sets its own token and counts a history line, and its own step
 * a second one; this step's line (its time and note) is the last one only if this step wrote it.
 */
function isThisStep(current: LedgerEntry, update: LedgerUpdate): boolean {
  const values = update.ExpressionAttributeValues;
  const written = values[':history'] as readonly string[];
  return (
    current.claimToken === undefined &&
    current.status === values[':status'] &&
    current.historyCount === values[':historyCount'] &&
    current.history?.at(-1) === written.at(-1)
  );
}
