import type { ProofSize } from './run-proof';

/**
 * The size `npm test` runs: a few hundred webhooks and a few seconds of each fault, under a minute on
 * two cores. Every hang outlasts the private stack's provider and engine timeouts (run-proof.ts) by
 * more than the second the raw-records count allows an answer to reach its caller (runProof checks).
 */
export const SMALL_PROOF: ProofSize = {
  name: 'small',
  webhooks: 250,
  concurrency: 16,
  senderDeadlineMs: 60_000,
  drainDeadlineMs: 120_000,
  faults: {
    // Right after the first tenth is answered: the rest goes in within seconds on a fast machine.
    startMs: 0,
    emailFaultCalls: 1,
    engineFaultCalls: 2,
    emailHangMs: 7000,
    // One: the small run's email jobs go out in a handful of calls, all of them made while sending
    // is still going on only on a fast machine; a second hang after recording would wait for email
    // traffic that may have ended (faults.ts).
    emailHangAfterCalls: 1,
    engineHangMs: 7000,
    freezeMs: 3000,
    engineOutageMs: 3000,
    // Normally met within 40 s of the faults starting; CI's slow machines take minutes.
    metDeadlineMs: 240_000,
  },
};

/** The size `npm run test:load` runs: 10,000 webhooks at concurrency 32, DynamoDB frozen 10 s. */
export const FULL_PROOF: ProofSize = {
  name: 'full',
  webhooks: 10_000,
  concurrency: 32,
  senderDeadlineMs: 300_000,
  drainDeadlineMs: 600_000,
  faults: {
    startMs: 10_000,
    emailFaultCalls: 2,
    engineFaultCalls: 5,
    emailHangMs: 7000,
    emailHangAfterCalls: 4,
    engineHangMs: 7000,
    freezeMs: 10_000,
    engineOutageMs: 10_000,
    metDeadlineMs: 300_000,
  },
};
