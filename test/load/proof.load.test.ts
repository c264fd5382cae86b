import { type ProofResult, runProof } from '../helpers/proof/run-proof';
import { FULL_PROOF } from '../helpers/proof/sizes';

// The full proof (`npm run test:load`, never part of `npm test`): 10,000 signed webhooks at
// concurrency 32 through a private local stack while the sandboxes fault and DynamoDB Local is frozen
// for 10 s. It prints the table recorded in docs/proof.md.

describe('the proof suite (full size)', () => {
  let result: ProofResult;

  beforeAll(async () => {
    result = await runProof(FULL_PROOF, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`\n${result.table}\n\n${result.faults.steps.join('\n')}\n\n`);
  }, 1_800_000);

  it('loses nothing: every accepted job delivered or dead-lettered', () => {
    expect(result.timings.drained).toBe(true);
    expect(result.accounts.lost).toEqual([]);
    expect(result.accounts.deliveredAndDeadLettered).toEqual([]);
  });

  it('doubles a job only after an attempt whose outcome was unknown', () => {
    expect(result.accounts.doubledUnexplained).toEqual([]);
    expect(result.accounts.doubled.length).toBeLessThanOrEqual(result.accounts.ambiguous);
  });

  it('counts from the raw records: nothing lost, no workflow double, no email double even after hung calls', () => {
    const raw = result.accounts.raw;
    expect(raw.lost).toEqual([]);
    // The engine runs without key deduplication: a job our side triggered twice shows here.
    expect(raw.workflowDoubled).toEqual([]);
    expect(raw.emailDoubledUnexplained).toEqual([]);
    // Calls of unknown outcome are reconciled with the provider's search: no email is sent twice.
    expect(raw.emailDoubled).toEqual([]);
    expect(raw.emailAmbiguous.length).toBeGreaterThan(0);
    // Every fault of the run is retryable: nothing may be dead-lettered.
    expect(result.accounts.deadLettered).toEqual({});
    expect(result.accounts.ambiguousUnaccounted).toEqual([]);
  });

  it('went through the faults it claims: every queued fault met by a call', () => {
    expect(result.faults.unmet).toEqual({ email: 0, engine: 0 });
  });

  it('produces nothing for rejected webhooks', () => {
    expect(result.accounts.producedByRejected).toBe(0);
    expect(result.accounts.unexpectedOutputs).toBe(0);
  });
});
