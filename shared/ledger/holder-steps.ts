import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LedgerTable } from './ledger-table';
import { type StepRequest, stepUpdate } from './requests';
import type { StepResult } from './types';

// The holder's steps after its claim (sent, released, dead): each is written only while the item
// still carries the claim's token, so a holder whose claim ran out and was taken over gets
// `taken-over` and must leave the job to its new holder.

/** The claim was taken over: the step was not written. */
const TAKEN_OVER: StepResult = 'taken-over';

/** One step of the holder, written only while the item still carries the holder's token. */
export async function writeStep(table: LedgerTable, step: StepRequest): Promise<StepResult> {
  try {
    await table.documents.send(new UpdateCommand(stepUpdate(table, step)));
    return 'done';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return TAKEN_OVER;
    throw error;
  }
}
