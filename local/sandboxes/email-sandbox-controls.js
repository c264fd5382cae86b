// The sandbox email provider's control routes and the small HTTP helpers it shares with them.
const { PACING_OFF, pacingFrom } = require('./email-sandbox-pacing');

/**
 * @param {import('node:http').ServerResponse} response
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
function sendJson(response, status, body, headers = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * Reads a request body, up to `limit` bytes; resolves to undefined past it.
 * @param {import('node:http').IncomingMessage} request
 * @param {number} limit
 * @returns {Promise<Buffer | undefined>}
 */
function readBody(request, limit) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    request.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Answers the sandbox's control routes (docs/local-stack.md, "Sandbox email provider: fault controls"): listings, faults, settings, reset.
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {URL} url
 * @param {{ messages: any[], calls: any[], faults: any[], searches: any[], searchFaults: any[],
 *   settings: any }} state
 * @param {() => any} initialSettings the settings a reset returns to
 */
async function handleControl(request, response, url, state, initialSettings) {
  const body = request.method === 'POST' ? await readBody(request, 1 << 20) : undefined;
  /** @type {any} */
  let input = {};
  try {
    input = body && body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    return sendJson(response, 400, { error: 'body is not JSON' });
  }
  const route = `${request.method} ${url.pathname}`;
  if (route === 'GET /sandbox' || route === 'GET /') {
    return sendJson(response, 200, {
      messages: state.messages.length,
      calls: state.calls.length,
      pendingFaults: state.faults,
      latencyMs: state.settings.latencyMs,
      recipientCodes: state.settings.recipientCodes,
      callCodes: state.settings.callCodes,
      searches: state.searches.length,
      pendingSearchFaults: state.searchFaults,
      searchDelayMs: state.settings.searchDelayMs,
      searchLatencyMs: state.settings.searchLatencyMs,
      endpoints: [
        'GET /sandbox/messages',
        'GET /sandbox/calls',
        'GET /sandbox/searches',
        'GET /messages/outbound',
        'POST /sandbox/faults',
        'POST /sandbox/search-faults',
        'POST /sandbox/settings',
        'POST /sandbox/reset',
      ],
    });
  }
  if (route === 'GET /sandbox/messages') {
    const bodies = url.searchParams.get('bodies') === '1';
    const limit = Number(url.searchParams.get('limit') ?? state.messages.length);
    const list = state.messages
      .slice(-limit)
      .map((m) => (bodies ? m : { ...m, htmlBody: undefined, textBody: undefined }));
    return sendJson(response, 200, { count: state.messages.length, messages: list });
  }
  if (route === 'GET /sandbox/calls') return sendJson(response, 200, { calls: state.calls });
  if (route === 'GET /sandbox/searches')
    return sendJson(response, 200, { searches: state.searches });
  const faultList = () =>
    Array.isArray(input) ? input : Array.isArray(input.faults) ? input.faults : [input];
  if (route === 'POST /sandbox/faults') {
    state.faults.push(...faultList());
    return sendJson(response, 200, { pendingFaults: state.faults });
  }
  if (route === 'DELETE /sandbox/faults') {
    state.faults.length = 0;
    return sendJson(response, 200, { pendingFaults: [] });
  }
  if (route === 'POST /sandbox/search-faults') {
    state.searchFaults.push(...faultList());
    return sendJson(response, 200, { pendingSearchFaults: state.searchFaults });
  }
  if (route === 'DELETE /sandbox/search-faults') {
    state.searchFaults.length = 0;
    return sendJson(response, 200, { pendingSearchFaults: [] });
  }
  if (route === 'POST /sandbox/settings') {
    if (typeof input.token === 'string') state.settings.token = input.token;
    if (typeof input.latencyMs === 'number')
      state.settings.latencyMs = Math.max(0, input.latencyMs);
    if (input.pacing)
      state.settings.pacing = pacingFrom(input.pacing, state.settings.pacing ?? PACING_OFF);
    if (input.recipientCodes && typeof input.recipientCodes === 'object') {
      state.settings.recipientCodes = { ...input.recipientCodes };
    }
    if (input.callCodes && typeof input.callCodes === 'object') {
      state.settings.callCodes = { ...input.callCodes };
    }
    for (const name of ['searchDelayMs', 'searchLatencyMs']) {
      if (typeof input[name] === 'number') state.settings[name] = Math.max(0, input[name]);
    }
    return sendJson(response, 200, { ...state.settings, token: undefined });
  }
  if (route === 'POST /sandbox/reset') {
    state.messages.length = 0;
    state.calls.length = 0;
    state.faults.length = 0;
    state.searches.length = 0;
    state.searchFaults.length = 0;
    state.settings = initialSettings();
    return sendJson(response, 200, { reset: true });
  }
  return sendJson(response, 404, { error: `no route ${route}` });
}

module.exports = { handleControl, readBody, sendJson };
