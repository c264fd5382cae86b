import { type ProofResult, runProof } from '../helpers/proof/run-proof';
import { SMALL_PROOF } from '../helpers/proof/sizes';

// The small proof: a few hundred signed webhooks through a private local stack while the sandboxes
// answer 429, 500 and hang and DynamoDB Local freezes (faults that would break the tests sharing
// jest's stack). `npm run test:load` runs the full size.

describe('the proof suite (small size)', () => {
  let result: ProofResult;

  beforeAll(async () => {
    result = await runProof(SMALL_PROOF, (line) => process.stdout.write(`${line}\n`));
    // The table is the point of the run: show it with the test output.
    process.stdout.write(`\n${result.table}\n\n${result.faults.steps.join('\n')}\n\n`);
    // Up to 2 min to start the stack, 4 min for the faults to be met, 2 min to drain.
  }, 600_000);

  it('settles every accepted job: delivered or dead-lettered, none lost', () => {
    expect(result.accounts.accepted).toBeGreaterThan(0);
    expect(result.timings.drained).toBe(true);
    expect(result.accounts.lost).toEqual([]);
    // A job both delivered and in a DLQ would be sent again by a replay.
    expect(result.accounts.deliveredAndDeadLettered).toEqual([]);
  });

  it('delivers a job twice only after an attempt whose outcome was unknown', () => {
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

  it('absorbs duplicates and produces nothing for rejected webhooks', () => {
    expect(result.accounts.duplicatesSent).toBeGreaterThan(0);
    expect(result.accounts.rejected['bad signature (401)']).toBeGreaterThan(0);
    expect(result.accounts.producedByRejected).toBe(0);
    expect(result.accounts.unexpectedOutputs).toBe(0);
    expect(result.accounts.identityMismatches).toBe(0);
  });

  it('went through the faults it claims', () => {
    // Every queued fault was met by a call (none cleared unmet at the schedule's deadline).
    expect(result.faults.unmet).toEqual({ email: 0, engine: 0 });
    expect(Object.keys(result.accounts.engineFaultsHit).length).toBeGreaterThan(0);
    expect(Object.keys(result.accounts.emailFaultsHit).length).toBeGreaterThan(0);
    expect(Object.keys(result.accounts.senderRetries).length).toBeGreaterThan(0);
  });
});
