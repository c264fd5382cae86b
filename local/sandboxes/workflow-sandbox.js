const { randomUUID } = require('node:crypto');
const http = require('node:http');
const { closeServer, listen, LOOPBACK } = require('../stack/ports');

/**
 * An n8n-style sandbox engine for local runs and tests: `POST /<path>` (the registry's paths start
 * with `webhook/`) checks the bearer token and answers `{"executionId"}`. `GET /sandbox/calls` shows
 * every call it received (path, body, `Idempotency-Key`, answer) and `GET /sandbox/executions` the
 * executions it started. It can be told at run time to misbehave: `POST /sandbox/faults` queues faults
 * for the next calls, `POST /sandbox/settings` sets the token, latency, a status to always answer and
 * whether repeated `Idempotency-Key`s are honoured; `POST /sandbox/reset` starts afresh.
 *
 * @typedef {object} EngineFault one fault, applied to the next `times` calls (default 1)
 * @property {number} [status] answer this status instead (400, 429, 500, ...)
 * @property {number} [retryAfter] with `status`: a `Retry-After` header in seconds
 * @property {'before' | 'after'} [hang] hold the call without answering, before or after starting it
 * @property {number} [hangMs] how long to hold it before dropping the connection, default 30000
 * @property {number} [times]
 *
 * @typedef {object} EngineSettings
 * @property {string} token the accepted bearer token
 * @property {number} latencyMs added to every call
 * @property {number | null} alwaysStatus answer every call with this status (null: behave)
 * @property {number | null} retryAfter with alwaysStatus: a `Retry-After` in seconds
 * @property {'honour' | 'ignore'} idempotency a repeated key gets the first execution, or a new one
 *
 * @typedef {object} EngineCall
 * @property {string} callId
 * @property {number} at epoch ms
 * @property {string} path
 * @property {string | undefined} idempotencyKey
 * @property {number} status
 * @property {string} [executionId]
 * @property {boolean} replayed answered with an earlier execution of the same key
 * @property {number} [answeredAt] epoch ms when the answer was handed to the connection (none: the
 *   caller never got one, as for a hang)
 * @property {unknown} body
 */

/** @returns {EngineSettings} */
const defaultSettings = (/** @type {string} */ token) => ({
  token,
  latencyMs: 0,
  alwaysStatus: null,
  retryAfter: null,
  idempotency: 'honour',
});

/**
 * @param {import('node:http').IncomingMessage} request
 * @returns {Promise<string>}
 */
function readBody(request) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * @param {import('node:http').ServerResponse} response
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
function answer(response, status, body, headers = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * Starts the sandbox engine on 127.0.0.1.
 * @param {{ port: number, token: string, log?: (message: string) => void }} options
 */
async function startWorkflowSandbox({ port, token, log = () => {} }) {
  let settings = defaultSettings(token);
  /** @type {EngineFault[]} */
  let faults = [];
  /** @type {EngineCall[]} */
  let calls = [];
  /** @type {Map<string, string>} */
  let executionsByKey = new Map();
  /** @type {{ executionId: string, path: string, idempotencyKey?: string, at: number }[]} */
  let executions = [];
  /** @type {Set<import('node:http').ServerResponse>} */
  const held = new Set();

  /** @returns {EngineFault | undefined} */
  const nextFault = () => {
    const fault = faults[0];
    if (!fault) return undefined;
    const times = (fault.times ?? 1) - 1;
    if (times <= 0) faults.shift();
    else fault.times = times;
    return fault;
  };

  /** @param {string} path @param {string | undefined} key */
  const execute = (path, key) => {
    const earlier = key && settings.idempotency === 'honour' ? executionsByKey.get(key) : undefined;
    if (earlier) return { executionId: earlier, replayed: true };
    const executionId = `exec-${randomUUID()}`;
    executions.push({ executionId, path, idempotencyKey: key, at: Date.now() });
    if (key) executionsByKey.set(key, executionId);
    return { executionId, replayed: false };
  };

  /**
   * @param {import('node:http').ServerResponse} response
   * @param {number} ms
   */
  const hold = (response, ms) =>
    new Promise((resolve) => {
      held.add(response);
      const timer = setTimeout(() => {
        held.delete(response);
        response.destroy();
        resolve(undefined);
      }, ms);
      response.on('close', () => {
        clearTimeout(timer);
        held.delete(response);
        resolve(undefined);
      });
    });

  /**
   * @param {import('node:http').IncomingMessage} request
   * @param {import('node:http').ServerResponse} response
   * @param {string} path
   */
  async function trigger(request, response, path) {
    const raw = await readBody(request);
    /** @type {unknown} */
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    const key = /** @type {string | undefined} */ (request.headers['idempotency-key']);
    /** @type {EngineCall} */
    const call = {
      callId: randomUUID(),
      at: Date.now(),
      path,
      idempotencyKey: key,
      status: 0,
      replayed: false,
      body,
    };
    calls.push(call);
    response.once('finish', () => {
      call.answeredAt = Date.now();
    });
    if (settings.latencyMs > 0) await new Promise((r) => setTimeout(r, settings.latencyMs));
    if (request.headers.authorization !== `Bearer ${settings.token}`) {
      call.status = 401;
      return answer(response, 401, { message: 'Authorization data is wrong!' });
    }
    const fault = nextFault();
    if (fault?.hang === 'after') Object.assign(call, execute(path, key));
    if (fault?.hang) {
      call.status = -1;
      return hold(response, fault.hangMs ?? 30_000);
    }
    const status = fault?.status ?? settings.alwaysStatus;
    const retryAfter = fault?.status ? fault.retryAfter : settings.retryAfter;
    if (status && (status < 200 || status > 299)) {
      call.status = status;
      const headers = retryAfter ? { 'retry-after': String(retryAfter) } : undefined;
      return answer(response, status, { message: `sandbox fault ${status}` }, headers);
    }
    Object.assign(call, execute(path, key));
    call.status = 200;
    log(`[workflow-sandbox] ${path} ${call.executionId}${call.replayed ? ' (replayed key)' : ''}`);
    return answer(response, 200, { executionId: call.executionId });
  }

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const route = `${request.method} ${url.pathname}`;
    try {
      if (route === 'GET /') return answer(response, 200, { status: 'ok' });
      if (route === 'GET /sandbox/calls') return answer(response, 200, { calls });
      if (route === 'GET /sandbox/executions') return answer(response, 200, { executions });
      if (route === 'POST /sandbox/faults') {
        const added = JSON.parse((await readBody(request)) || '[]');
        faults.push(...(Array.isArray(added) ? added : [added]));
        return answer(response, 200, { faults });
      }
      if (route === 'POST /sandbox/settings') {
        settings = { ...settings, ...JSON.parse((await readBody(request)) || '{}') };
        return answer(response, 200, { ...settings, token: '(set)' });
      }
      if (route === 'POST /sandbox/reset') {
        settings = defaultSettings(token);
        faults = [];
        calls = [];
        executions = [];
        executionsByKey = new Map();
        return answer(response, 200, { reset: true });
      }
      if (request.method === 'POST' && url.pathname.length > 1) {
        return await trigger(request, response, url.pathname.slice(1));
      }
      return answer(response, 404, { message: 'not found' });
    } catch (error) {
      return answer(response, 400, { message: String(error) });
    }
  });
  await listen(server, {
    port,
    host: LOOPBACK,
    label: 'Workflow sandbox',
    envVar: 'LOCAL_WORKFLOW_PORT',
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${LOOPBACK}:${address.port}`,
    /** Every call received so far. */
    calls: () => calls,
    /** Every execution started so far. */
    executions: () => executions,
    /** @param {EngineFault | EngineFault[]} fault */
    fault: (fault) => {
      faults.push(...(Array.isArray(fault) ? fault : [fault]));
    },
    /** @param {Partial<EngineSettings>} change */
    configure: (change) => {
      settings = { ...settings, ...change };
    },
    close: async () => {
      for (const response of held) response.destroy();
      await closeServer(server);
    },
  };
}

module.exports = { startWorkflowSandbox };
