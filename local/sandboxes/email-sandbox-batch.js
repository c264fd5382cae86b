// The sandbox email provider's `POST /email/batch`: checks a call as Postmark does, applies the next
// queued fault, records what it accepts and answers one result per message.
const { randomUUID } = require('node:crypto');
const { readBody, sendJson } = require('./email-sandbox-controls');
const {
  CODE_MESSAGES,
  errorCodeFor,
  MAX_BYTES,
  MAX_MESSAGES,
  wholeCallCode,
} = require('./email-sandbox-messages');
const { paceCall } = require('./email-sandbox-pacing');
const { KEEP_MESSAGES, nextFault } = require('./email-sandbox-state');

/**
 * @typedef {import('./email-sandbox-state').SandboxCall} SandboxCall
 * @typedef {import('./email-sandbox-state').SandboxFault} SandboxFault
 * @typedef {import('./email-sandbox-state').SandboxState} SandboxState
 * @typedef {{ sleep: (ms: number) => Promise<void>, log: (message: string) => void }} BatchIo
 */

/**
 * Answers one provider call.
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {SandboxState} state
 * @param {BatchIo} io
 */
async function batch(request, response, state, io) {
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
  const fault = nextFault(state);
  await paceCall(state, messages.length, io.sleep);
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
    return sendJson(response, fault.status, { ErrorCode: code, Message: 'Sandbox fault' }, headers);
  }
  if (fault?.hang === 'before') return hang(request, response, call, fault, io);
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
  if (fault?.hang === 'after') return hang(request, response, call, fault, io);
  return sendJson(response, 200, results);
}

/**
 * Holds the call unanswered, then drops the connection.
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {SandboxCall} call
 * @param {SandboxFault} fault
 * @param {BatchIo} io
 */
async function hang(request, response, call, fault, io) {
  call.status = 0;
  io.log(`sandbox: holding call ${call.callId} (${fault.hang} recording)`);
  await io.sleep(fault.hangMs ?? 30_000);
  request.socket.destroy();
  void response;
}

module.exports = { batch };
