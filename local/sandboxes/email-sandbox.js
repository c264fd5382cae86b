const { randomUUID } = require('node:crypto');
const http = require('node:http');
const { handleControl, readBody, sendJson } = require('./email-sandbox-controls');
const { paceCall } = require('./email-sandbox-pacing');
const { searchOutbound } = require('./email-sandbox-search');
const { closeServer, listen, LOOPBACK } = require('../stack/ports');

/**
 * A Postmark-compatible sandbox provider for local runs and tests: `POST /email/batch` checks the
 * token, enforces the 500-message and 50 MB limits and answers one result per message; everything it
 * accepts is listed at `GET /sandbox/messages` and found by `GET /messages/outbound` (Postmark's message
 * search, `local/sandboxes/email-sandbox-search.js`). It can be told at run time to misbehave (see
 * docs/local-stack.md, "Sandbox email provider: fault controls"): `POST /sandbox/faults` queues faults for the next calls, `POST /sandbox/settings`
 * changes latency, token and per-recipient error codes, `POST /sandbox/reset` starts afresh.
 *
 * @typedef {object} SandboxFault one fault, applied to the next `times` calls (default 1)
 * @property {number} [status] answer this status instead (429, 500, ...)
 * @property {number} [retryAfter] with `status`: a `Retry-After` header in seconds
 * @property {number} [errorCode] with `status` 422: the body's ErrorCode
 * @property {'before' | 'after'} [hang] hold the call without answering, before or after recording it
 * @property {number} [hangMs] how long to hold it before dropping the connection, default 30000
 * @property {number} [times]
 *
 * @typedef {object} SandboxSettings
 * @property {string} token the accepted X-Postmark-Server-Token
 * @property {number} latencyMs added to every call
 * @property {Record<string, number>} recipientCodes an address starting with a key gets its ErrorCode
 * @property {number} searchDelayMs a message shows in the search this long after it was recorded
 * @property {number} searchLatencyMs added to every search
 * @property {Record<string, number>} callCodes a call with any message to an address starting with a
 *   key is refused whole: `422` with that ErrorCode, nothing of it sent (as Postmark does for a call
 *   it cannot take, without saying which message)
 *
 * @typedef {object} SandboxMessage
 * @property {string} messageId
 * @property {string} callId
 * @property {number} at epoch ms when its call arrived (the request started)
 * @property {number} recordedAt epoch ms when it was recorded (accepted)
 * @property {string} from
 * @property {string} to
 * @property {string} subject
 * @property {string} [tag]
 * @property {Record<string, string>} [metadata]
 * @property {string} [messageStream]
 * @property {string} [htmlBody]
 * @property {string} [textBody]
 *
 * @typedef {object} SandboxCall
 * @property {string} callId
 * @property {number} at
 * @property {number} messages
 * @property {number} status
 * @property {number} accepted
 * @property {boolean} recorded
 * @property {number} [answeredAt] epoch ms when the answer was handed to the connection (none: the
 *   caller never got one, as for a hang)
 */

const MAX_MESSAGES = 500;
const MAX_BYTES = 50 * 1024 * 1024;
const MAX_RECIPIENTS = 50;
/** Messages kept in memory; older ones are dropped first. */
const KEEP_MESSAGES = 100_000;
const DEFAULT_CODES = Object.freeze({ 'inactive@': 406 });

/** The settings a sandbox starts with (and a reset returns to). @returns {SandboxSettings} */
const initialSettings = (/** @type {string} */ token) => ({
  token,
  latencyMs: 0,
  recipientCodes: { ...DEFAULT_CODES },
  callCodes: {},
  searchDelayMs: 0,
  searchLatencyMs: 0,
});
const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".]+$/;

/** Postmark's messages for the codes the sandbox answers. */
const CODE_MESSAGES = /** @type {Record<number, string>} */ ({
  300: 'Invalid email request',
  406: 'You tried to send to recipient(s) that have been marked as inactive.',
  411: 'Forbidden attachment type',
  10: 'The Server API token you provided is invalid.',
});

/**
 * The bare address of `To` entries (`Name <a@b.c>` gives `a@b.c`), lower-cased.
 * @param {unknown} to
 * @returns {string[]}
 */
function recipients(to) {
  if (typeof to !== 'string') return [];
  return (to.match(/(?:"[^"]*"|[^,])+/g) ?? [])
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => (/<([^<>]+)>\s*$/.exec(part)?.[1] ?? part).trim().toLowerCase());
}

/**
 * The ErrorCode for one message of a batch: 0 to accept it.
 * @param {any} message
 * @param {Record<string, number>} recipientCodes
 * @returns {number}
 */
function errorCodeFor(message, recipientCodes) {
  if (typeof message !== 'object' || message === null) return 300;
  const to = recipients(message.To);
  const from = recipients(message.From);
  if (from.length !== 1 || !ADDRESS.test(from[0] ?? '')) return 300;
  if (to.length === 0 || to.length > MAX_RECIPIENTS || !to.every((a) => ADDRESS.test(a)))
    return 300;
  if (typeof message.Subject !== 'string' || message.Subject === '') return 300;
  if (!message.HtmlBody && !message.TextBody) return 300;
  for (const address of to) {
    for (const [prefix, code] of Object.entries(recipientCodes)) {
      if (address.startsWith(prefix.toLowerCase())) return code;
    }
  }
  return 0;
}

/**
 * The ErrorCode refusing a whole call (0: none): the first message to an address matching `callCodes`.
 * @param {any[]} messages
 * @param {Record<string, number>} callCodes
 */
function wholeCallCode(messages, callCodes) {
  for (const message of messages) {
    for (const address of recipients(message?.To)) {
      for (const [prefix, code] of Object.entries(callCodes ?? {})) {
        if (address.startsWith(prefix.toLowerCase())) return code;
      }
    }
  }
  return 0;
}

/**
 * Starts the sandbox on 127.0.0.1.
 * @param {{ port?: number, token: string, log?: (message: string) => void }} options port 0 picks one
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void>,
 *   state: { messages: SandboxMessage[], calls: SandboxCall[], faults: SandboxFault[],
 *   searches: import('./email-sandbox-search').SearchRecord[],
 *   searchFaults: import('./email-sandbox-search').SearchFault[], settings: SandboxSettings } }>}
 */
async function startEmailSandbox({ port = 0, token, log = () => {} }) {
  const initialToken = token;
  const state = {
    /** @type {SandboxMessage[]} */ messages: [],
    /** @type {SandboxCall[]} */ calls: [],
    /** @type {SandboxFault[]} */ faults: [],
    /** @type {import('./email-sandbox-search').SearchRecord[]} */ searches: [],
    /** @type {import('./email-sandbox-search').SearchFault[]} */ searchFaults: [],
    settings: initialSettings(token),
  };
  /** @type {Set<NodeJS.Timeout>} */
  const holds = new Set();
  const sleep = (/** @type {number} */ ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        holds.delete(timer);
        resolve(undefined);
      }, ms);
      holds.add(timer);
    });

  /** The next fault, consumed. @returns {SandboxFault | undefined} */
  const nextFault = () => {
    const fault = state.faults[0];
    if (!fault) return undefined;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) state.faults.shift();
    return fault;
  };

  /**
   * @param {http.IncomingMessage} request
   * @param {http.ServerResponse} response
   */
  async function batch(request, response) {
    const at = Date.now();
    const callId = randomUUID();
    const raw = await readBody(request, MAX_BYTES);
    if (raw === undefined) {
      return sendJson(response, 413, { ErrorCode: 300, Message: 'Request body over 50 MB' });
    }
    if (request.headers['x-postmark-server-token'] !== state.settings.token) {
      state.calls.push({ callId, at, messages: 0, status: 401, accepted: 0, recorded: false });
      return sendJson(response, 401, { ErrorCode: 10, Message: CODE_MESSAGES[10] });
    }
    /** @type {unknown} */
    let messages;
    try {
      messages = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendJson(response, 422, { ErrorCode: 300, Message: 'The body is not JSON' });
    }
    if (!Array.isArray(messages)) {
      return sendJson(response, 422, { ErrorCode: 300, Message: 'The body is not a JSON array' });
    }
    if (messages.length > MAX_MESSAGES) {
      return sendJson(response, 422, { ErrorCode: 300, Message: 'More than 500 messages' });
    }
    const fault = nextFault();
    await paceCall(state, messages.length, sleep);
    /** @type {SandboxCall} */
    const call = {
      callId,
      at,
      messages: messages.length,
      status: 200,
      accepted: 0,
      recorded: false,
    };
    state.calls.push(call);
    response.once('finish', () => {
      call.answeredAt = Date.now();
    });
    if (fault?.status) {
      call.status = fault.status;
      /** @type {Record<string, string>} */
      const headers =
        fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
      const code = fault.errorCode ?? (fault.status === 429 ? 429 : 100);
      return sendJson(
        response,
        fault.status,
        { ErrorCode: code, Message: 'Sandbox fault' },
        headers,
      );
    }
    if (fault?.hang === 'before') return hang(request, response, call, fault);
    const callCode = wholeCallCode(messages, state.settings.callCodes);
    if (callCode !== 0) {
      call.status = 422;
      return sendJson(response, 422, {
        ErrorCode: callCode,
        Message: CODE_MESSAGES[callCode] ?? `Error ${callCode}`,
      });
    }
    const results = messages.map((message) => {
      const code = errorCodeFor(message, state.settings.recipientCodes);
      if (code !== 0) return { ErrorCode: code, Message: CODE_MESSAGES[code] ?? `Error ${code}` };
      const messageId = randomUUID();
      state.messages.push({
        messageId,
        callId,
        at,
        recordedAt: Date.now(),
        from: message.From,
        to: message.To,
        subject: message.Subject,
        tag: message.Tag,
        metadata: message.Metadata,
        messageStream: message.MessageStream,
        htmlBody: message.HtmlBody,
        textBody: message.TextBody,
      });
      call.accepted += 1;
      return {
        ErrorCode: 0,
        Message: 'OK',
        MessageID: messageId,
        SubmittedAt: new Date().toISOString(),
        To: message.To,
      };
    });
    call.recorded = true;
    if (state.messages.length > KEEP_MESSAGES)
      state.messages.splice(0, state.messages.length - KEEP_MESSAGES);
    if (fault?.hang === 'after') return hang(request, response, call, fault);
    return sendJson(response, 200, results);
  }

  /**
   * Holds the call unanswered, then drops the connection.
   * @param {http.IncomingMessage} request
   * @param {http.ServerResponse} response
   * @param {SandboxCall} call
   * @param {SandboxFault} fault
   */
  async function hang(request, response, call, fault) {
    call.status = 0;
    log(`sandbox: holding call ${call.callId} (${fault.hang} recording)`);
    await sleep(fault.hangMs ?? 30_000);
    request.socket.destroy();
    void response;
  }

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const handle =
      request.method === 'POST' && url.pathname === '/email/batch'
        ? batch(request, response)
        : request.method === 'GET' && url.pathname === '/messages/outbound'
          ? searchOutbound(request, response, url, state, { sendJson, sleep })
          : handleControl(request, response, url, state, () => initialSettings(initialToken));
    handle.catch((error) => {
      log(`sandbox: ${error}`);
      if (!response.headersSent)
        sendJson(response, 500, { ErrorCode: 100, Message: 'Sandbox error' });
    });
  });
  await listen(server, {
    port,
    host: LOOPBACK,
    label: 'Email sandbox',
    envVar: 'LOCAL_EMAIL_PORT',
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${LOOPBACK}:${address.port}`,
    port: address.port,
    state,
    close: async () => {
      for (const timer of holds) clearTimeout(timer);
      holds.clear();
      await closeServer(server);
    },
  };
}

module.exports = { startEmailSandbox, errorCodeFor, recipients };
