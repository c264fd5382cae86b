// The sandbox provider's message search: `GET /messages/outbound` as Postmark's Messages API answers
// it (docs/local-stack.md, "Sandbox email provider"), with an indexing delay and faults of its own, so the batcher's
// reconciliation can be tested against what a real provider does: a search that is not
// read-after-write, that fails, is rate limited, is slow or hangs.

/**
 * @typedef {object} SearchFault one fault, applied to the next `times` searches (default 1)
 * @property {number} [status] answer this status (429, 500, ...)
 * @property {number} [retryAfter] with `status`: a `Retry-After` header in seconds
 * @property {boolean} [hang] hold the search without answering, then drop the connection
 * @property {number} [hangMs] how long to hold it, default 30000
 * @property {number} [times]
 *
 * @typedef {object} SearchRecord one search the sandbox received (raw, for tests to count)
 * @property {number} at epoch ms
 * @property {string} query the query string as received
 * @property {number} status
 * @property {number} [total] TotalCount answered
 */

/** Postmark's limits: `count` at most 500, `count + offset` at most 10,000. */
const MAX_COUNT = 500;
const MAX_WINDOW = 10_000;

/**
 * A message as the search lists it (Postmark's field names; bodies are left out, as Postmark does).
 * @param {any} message a SandboxMessage
 */
function listed(message) {
  const to = String(message.to ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const emails = to.map((part) => (/<([^<>]+)>\s*$/.exec(part)?.[1] ?? part).trim());
  return {
    Tag: message.tag ?? '',
    MessageID: message.messageId,
    MessageStream: message.messageStream ?? 'outbound',
    To: to.map((part, index) => ({
      Email: emails[index],
      Name: /^(.*?)\s*<[^<>]+>\s*$/.exec(part)?.[1]?.replace(/^"|"$/g, '') ?? null,
    })),
    Cc: [],
    Bcc: [],
    Recipients: emails,
    ReceivedAt: new Date(message.recordedAt ?? message.at).toISOString(),
    From: message.from,
    Subject: message.subject,
    Attachments: [],
    Status: 'Sent',
    TrackOpens: false,
    TrackLinks: 'None',
    Metadata: message.metadata ?? {},
    Sandboxed: false,
  };
}

/**
 * Whether `message` passes every filter of the query.
 * @param {any} message
 * @param {URLSearchParams} params
 */
function matches(message, params) {
  const lower = (/** @type {unknown} */ value) => String(value ?? '').toLowerCase();
  // Filter names are read case-insensitively (Postmark's own client sends `fromEmail`, `toDate`).
  const query = new Map([...params].map(([name, value]) => [name.toLowerCase(), value]));
  const item = listed(message);
  const recipient = query.get('recipient');
  if (recipient && !item.Recipients.some((email) => lower(email) === lower(recipient)))
    return false;
  const from = query.get('fromemail');
  if (from && !lower(item.From).includes(lower(from))) return false;
  const tag = query.get('tag');
  if (tag && item.Tag !== tag) return false;
  const subject = query.get('subject');
  if (subject && !lower(item.Subject).includes(lower(subject))) return false;
  const stream = query.get('messagestream');
  if (stream && item.MessageStream !== stream) return false;
  const status = query.get('status');
  if (status && lower(status) !== 'sent') return false;
  const at = message.recordedAt ?? message.at;
  const fromDate = query.get('fromdate');
  if (fromDate && !(at >= Date.parse(fromDate))) return false;
  const toDate = query.get('todate');
  if (toDate && !(at <= Date.parse(toDate))) return false;
  for (const [name, value] of params) {
    if (!name.toLowerCase().startsWith('metadata_')) continue;
    if (item.Metadata[name.slice('metadata_'.length)] !== value) return false;
  }
  return true;
}

/**
 * Answers `GET /messages/outbound`. Messages become searchable `searchDelayMs` after they were
 * recorded (Postmark's search is not read-after-write), newest first.
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {URL} url
 * @param {{ messages: any[], searches: SearchRecord[], searchFaults: SearchFault[], settings: any }} state
 * @param {{ sendJson: Function, sleep: (ms: number) => Promise<unknown> }} io
 */
async function searchOutbound(request, response, url, state, io) {
  /** @type {SearchRecord} */
  const record = { at: Date.now(), query: url.search.replace(/^\?/, ''), status: 200 };
  state.searches.push(record);
  const answer = (/** @type {number} */ status, /** @type {unknown} */ body, headers = {}) => {
    record.status = status;
    io.sendJson(response, status, body, headers);
  };
  if (request.headers['x-postmark-server-token'] !== state.settings.token) {
    return answer(401, {
      ErrorCode: 10,
      Message: 'The Server API token you provided is invalid.',
    });
  }
  const fault = state.searchFaults[0];
  if (fault) {
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) state.searchFaults.shift();
  }
  if ((state.settings.searchLatencyMs ?? 0) > 0) await io.sleep(state.settings.searchLatencyMs);
  if (fault?.hang) {
    record.status = 0;
    await io.sleep(fault.hangMs ?? 30_000);
    request.socket.destroy();
    return;
  }
  if (fault?.status) {
    const headers =
      fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
    return answer(fault.status, { ErrorCode: 100, Message: 'Sandbox search fault' }, headers);
  }
  const count = Number(url.searchParams.get('count'));
  const offset = Number(url.searchParams.get('offset'));
  if (
    !Number.isInteger(count) ||
    !Number.isInteger(offset) ||
    url.searchParams.get('count') === null ||
    url.searchParams.get('offset') === null ||
    count < 1 ||
    count > MAX_COUNT ||
    offset < 0 ||
    count + offset > MAX_WINDOW
  ) {
    return answer(422, {
      ErrorCode: 1,
      Message: `count (1 to ${MAX_COUNT}) and offset are required; count + offset at most ${MAX_WINDOW}`,
    });
  }
  const visibleBefore = Date.now() - (state.settings.searchDelayMs ?? 0);
  const found = state.messages
    .filter((message) => (message.recordedAt ?? message.at) <= visibleBefore)
    .filter((message) => matches(message, url.searchParams))
    .reverse();
  record.total = found.length;
  return answer(200, {
    TotalCount: found.length,
    Messages: found.slice(offset, offset + count).map(listed),
  });
}

module.exports = { searchOutbound, listed };
