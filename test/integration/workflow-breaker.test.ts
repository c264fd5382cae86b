import { waitFor } from '../helpers/wait';
import { WorkflowHarness, workflowJob } from '../helpers/workflow/workflow-harness';

describe('workflow circuit breaker', () => {
  let harness: WorkflowHarness;

  beforeEach(async () => {
    harness = await new WorkflowHarness().open();
  });

  afterEach(async () => {
    await harness.close();
  });

  it('stops calls past the threshold, lets one trial through across consumers, then resumes', async () => {
    harness.sandbox.configure({ alwaysStatus: 500 });
    for (let index = 0; index < 12; index += 1) await harness.enqueue(workflowJob(`b-${index}`));
    const { breaker } = harness.trigger();
    await harness.start({ count: 3, env: { WORKFLOW_MAX_ATTEMPTS: '50' } });

    await waitFor('the breaker to open', async () => (await breaker.state()) === 'open', 20_000);
    const callsWhenOpened = harness.sandbox.calls().length;
    // While open (3 s cool-down), nothing reaches the engine; the jobs wait in the queue.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(harness.sandbox.calls().length).toBeLessThanOrEqual(callsWhenOpened + 3);

    harness.sandbox.configure({ alwaysStatus: null });
    await waitFor('12 triggers', () => harness.telemetry.counts.triggered >= 12, 30_000);
    await harness.stopTriggers();

    expect(await breaker.state()).toBe('closed');
    const opened = harness.sandbox.calls().slice(callsWhenOpened);
    // The first call after the cool-down is the one trial; only after it succeeded did others follow.
    const firstSuccess = opened.findIndex((call) => call.status === 200);
    expect(firstSuccess).toBeGreaterThanOrEqual(0);
    const executions = harness.sandbox.executions();
    expect(new Set(executions.map((execution) => execution.idempotencyKey)).size).toBe(12);
    expect(executions).toHaveLength(12);
  }, 60_000);
});
