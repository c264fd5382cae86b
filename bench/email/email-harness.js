// Helpers for the email benchmarks: ~1 KB jobs, reading the sandbox provider, the rate overshoot.

/**
 * An email job of about `bytes` bytes once serialized.
 * @param {string} id
 * @param {number} [bytes]
 */
function emailJob(id, bytes = 1024) {
  const job = {
    id,
    from: 'Billing <billing@example.test>',
    to: `customer-${id}@example.test`,
    subject: `Your receipt ${id}`,
    tag: 'receipt',
    textBody: '',
  };
  const filler = 'Thank you for your payment. ';
  const room = Math.max(1, bytes - JSON.stringify(job).length);
  job.textBody = filler.repeat(Math.ceil(room / filler.length)).slice(0, room);
  return job;
}

/**
 * GETs or POSTs JSON on the sandbox.
 * @param {string} base
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function sandbox(base, path, body) {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return response.json();
}

/**
 * The most messages above `rate` in any window of arrival times, and the same minus the burst:
 * a token bucket allows exactly its burst above the rate, so `overshoot` should be 0 or less.
 * @param {number[]} times epoch ms
 * @param {number} rate per second
 */
function excessOverRate(times, rate) {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = 0;
  // Messages of one call share a timestamp: walk distinct times with counts (O(calls^2)).
  /** @type {[number, number][]} */
  const groups = [];
  for (const t of sorted) {
    const last = groups[groups.length - 1];
    if (last && last[0] === t) last[1] += 1;
    else groups.push([t, 1]);
  }
  const prefix = [0];
  for (const [, count] of groups)
    prefix.push(/** @type {number} */ (prefix[prefix.length - 1]) + count);
  for (let j = 0; j < groups.length; j += 1) {
    for (let i = 0; i <= j; i += 1) {
      const count = /** @type {number} */ (prefix[j + 1]) - /** @type {number} */ (prefix[i]);
      const span = /** @type {number} */ (groups[j]?.[0]) - /** @type {number} */ (groups[i]?.[0]);
      worst = Math.max(worst, count - (rate * span) / 1000);
    }
  }
  return worst;
}

/**
 * The environment a batcher built in the bench process reads: the stack's table, secrets and sandbox,
 * the bench's own queues and provider account (so its rate limit and pause are its own).
 * @param {any} state the local stack's state
 * @param {{ queueUrl: string, dlqUrl: string, account: string, rate: number, burst: number }} options
 * @returns {Record<string, string>}
 */
function benchBatcherEnv(state, { queueUrl, dlqUrl, account, rate, burst }) {
  return {
    SECRETS_PREFIX: 'connector-suite/local',
    STATE_TABLE: state.tables.StateTable.name,
    EMAIL_JOBS_QUEUE_URL: queueUrl,
    EMAIL_JOBS_DLQ_URL: dlqUrl,
    EMAIL_API_URL: state.emailSandbox,
    EMAIL_PROVIDER_ACCOUNT: account,
    EMAIL_RATE_PER_SECOND: String(rate),
    EMAIL_RATE_BURST: String(burst),
  };
}

module.exports = { benchBatcherEnv, emailJob, sandbox, excessOverRate };
