// Benchmark 2: signed webhooks through serverless offline (the real webhook-ingest function) against
// a bare function that answers 202, both served by the same serverless-offline instance.

const http = require('node:http');
const { cpuMeter } = require('../lib/cpu');
const { signedRequests } = require('../lib/requests');
const { summarize } = require('../lib/stats');

/**
 * Sends every request with at most `concurrency` in flight over keep-alive connections.
 * @param {{ url: URL, requests: { body: string, headers: Record<string, string> }[],
 *   concurrency: number, agent: http.Agent }} options
 */
async function load({ url, requests, concurrency, agent }) {
  /** @type {number[]} */
  const ms = [];
  /** @type {Record<string, number>} */
  const statuses = {};
  let next = 0;
  const post = (/** @type {{ body: string, headers: Record<string, string> }} */ request) =>
    new Promise((resolve) => {
      const started = performance.now();
      const body = Buffer.from(request.body);
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: { ...request.headers, 'Content-Length': String(body.length) },
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            ms.push(performance.now() - started);
            const status = String(res.statusCode);
            statuses[status] = (statuses[status] ?? 0) + 1;
            resolve(undefined);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => {
        const key = `error:${/** @type {NodeJS.ErrnoException} */ (error).code ?? error.message}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        resolve(undefined);
      });
      req.end(body);
    });
  const worker = async () => {
    while (next < requests.length) {
      const request = /** @type {(typeof requests)[number]} */ (requests[next]);
      next += 1;
      await post(request);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ms, statuses, wallMs: performance.now() - started };
}

/**
 * @param {{ state: { http: string, pid: number, dynamoDbPid: number }, requests?: number, concurrency?: number, warmup?: number,
 *   rounds?: number, log?: (message: string) => void }} options
 */
async function runHttpThroughput({
  state,
  requests = 2000,
  concurrency = 16,
  warmup = 64,
  rounds = 2,
  log = () => {},
}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const stripe = signedRequests('stripe');
  const endpoints = {
    ours: new URL('/webhooks/stripe', state.http),
    bare: new URL('/bench/bare', state.http),
  };
  /** @type {Record<'ours' | 'bare', { ms: number[], statuses: Record<string, number>, wallMs: number, cpuMs: Record<string, number> }>} */
  const totals = {
    ours: { ms: [], statuses: {}, wallMs: 0, cpuMs: {} },
    bare: { ms: [], statuses: {}, wallMs: 0, cpuMs: {} },
  };
  const processes = {
    serverlessOffline: state.pid,
    dynamoDbLocal: state.dynamoDbPid,
    loadGenerator: process.pid,
  };
  const fresh = (/** @type {number} */ count) => Array.from({ length: count }, () => stripe.next());
  try {
    // serverless offline starts one worker per concurrent invocation: start all of them first.
    log(`  http: warm-up, ${warmup} requests per endpoint at concurrency ${concurrency}`);
    for (const name of /** @type {const} */ (['bare', 'ours'])) {
      await load({ url: endpoints[name], requests: fresh(warmup), concurrency, agent });
    }
    const perRound = Math.ceil(requests / rounds);
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'];
      for (const name of /** @type {('ours' | 'bare')[]} */ (order)) {
        log(
          `  http: round ${round + 1}/${rounds}, ${perRound} requests to ${endpoints[name].pathname}`,
        );
        // Signed just before sending, so every timestamp is well inside the tolerance.
        const requestsOfRound = fresh(perRound);
        const meter = cpuMeter(processes);
        const result = await load({
          url: endpoints[name],
          requests: requestsOfRound,
          concurrency,
          agent,
        });
        for (const [owner, used] of Object.entries(meter.stop())) {
          totals[name].cpuMs[owner] = (totals[name].cpuMs[owner] ?? 0) + used;
        }
        totals[name].ms.push(...result.ms);
        totals[name].wallMs += result.wallMs;
        for (const [status, count] of Object.entries(result.statuses)) {
          totals[name].statuses[status] = (totals[name].statuses[status] ?? 0) + count;
        }
      }
    }
  } finally {
    agent.destroy();
  }
  const side = (/** @type {'ours' | 'bare'} */ name) => ({
    path: endpoints[name].pathname,
    requests: totals[name].ms.length,
    requestsPerSecond: totals[name].ms.length / (totals[name].wallMs / 1000),
    latencyMs: summarize(totals[name].ms),
    statuses: totals[name].statuses,
    // serverlessOffline includes the SQS emulator and Secrets Manager endpoint: they run in it.
    cpuMsPerRequest: Object.fromEntries(
      Object.entries(totals[name].cpuMs).map(([owner, used]) => [
        owner,
        used / totals[name].ms.length,
      ]),
    ),
  });
  return {
    concurrency,
    rounds,
    setup:
      'one serverless-offline instance of a generated bench service: the repo serverless.yml ' +
      '(real webhook-ingest) plus a bench-only function answering 202',
    ours: side('ours'),
    bare: side('bare'),
  };
}

module.exports = { runHttpThroughput };
