/**
 * Two corrections to fauxqs, applied as Fastify hooks on its app so that they survive `npm ci` (nothing
 * inside node_modules is edited). test/integration/sqs-conformance.test.ts checks both.
 *
 * - A long poll whose client has gone (the local event source aborts its poll on stop) must not take
 *   a message: fauxqs would dequeue it for the closed connection, hiding it for a visibility timeout
 *   and spending one of its receives. The wait happens here instead, and the receive itself runs only
 *   while the client is still there.
 * - A malformed receipt handle is refused with ReceiptHandleIsInvalid, per entry in a batch, as SQS
 *   does; fauxqs accepts anything as deleted.
 */

/** fauxqs issues receipt handles as random UUIDs; anything else cannot be one of its handles. */
const RECEIPT_HANDLE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SINGLE_HANDLE_ACTIONS = new Set(['DeleteMessage', 'ChangeMessageVisibility']);
const BATCH_HANDLE_ACTIONS = new Set(['DeleteMessageBatch', 'ChangeMessageVisibilityBatch']);
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

/**
 * @typedef {import('fastify').FastifyInstance} App
 * @typedef {import('fastify').FastifyRequest} Request
 * @typedef {{ Id?: unknown, ReceiptHandle?: unknown }} BatchEntry
 * @typedef {{ Id: string, Code: string, Message: string, SenderFault: boolean }} FailedEntry
 */

/**
 * The SQS action of a request (JSON protocol), undefined for anything else.
 * @param {Request} request
 * @returns {{ action: string, body: Record<string, any> } | undefined}
 */
function sqsCall(request) {
  const target = request.headers['x-amz-target'];
  const body = request.body;
  if (typeof target !== 'string' || !target.startsWith('AmazonSQS.')) return undefined;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return { action: target.slice('AmazonSQS.'.length), body: /** @type {any} */ (body) };
}

/** @param {unknown} handle */
const malformed = (handle) => typeof handle === 'string' && !RECEIPT_HANDLE.test(handle);

/** @param {string} id @returns {FailedEntry} */
const invalidHandleEntry = (id) => ({
  Id: id,
  Code: 'ReceiptHandleIsInvalid',
  Message: 'The input receipt handle is invalid.',
  SenderFault: true,
});

/**
 * Refuses malformed receipt handles: the whole call for DeleteMessage and ChangeMessageVisibility,
 * only the entry in their batch forms (the other entries still run).
 * @param {App} app
 * @returns {void}
 */
function rejectMalformedReceiptHandles(app) {
  /** @type {WeakMap<Request, FailedEntry[]>} */
  const failuresByRequest = new WeakMap();

  app.addHook('preHandler', async (request, reply) => {
    const call = sqsCall(request);
    if (!call) return;
    if (SINGLE_HANDLE_ACTIONS.has(call.action) && malformed(call.body.ReceiptHandle)) {
      reply.code(400).header('content-type', JSON_CONTENT_TYPE);
      reply.header('x-amzn-query-error', 'ReceiptHandleIsInvalid;Sender');
      return reply.send({
        __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid',
        message: 'The input receipt handle is invalid.',
      });
    }
    if (!BATCH_HANDLE_ACTIONS.has(call.action) || !Array.isArray(call.body.Entries)) return;
    const entries = /** @type {BatchEntry[]} */ (call.body.Entries);
    const bad = entries.filter((entry) => malformed(entry?.ReceiptHandle));
    if (bad.length === 0) return;
    const failed = bad.map((entry) => invalidHandleEntry(String(entry.Id)));
    if (bad.length === entries.length) {
      reply.header('content-type', JSON_CONTENT_TYPE);
      return reply.send({ Successful: [], Failed: failed });
    }
    call.body.Entries = entries.filter((entry) => !bad.includes(entry));
    failuresByRequest.set(request, failed);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const failed = failuresByRequest.get(request);
    if (!failed || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    const answer = JSON.parse(payload);
    answer.Failed = [...(answer.Failed ?? []), ...failed];
    return JSON.stringify(answer);
  });
}

/**
 * @param {any} queue a fauxqs SqsQueue
 * @returns {boolean} whether a receive now would find a message
 */
function hasReadyMessage(queue) {
  queue.processTimers();
  return queue.isFifo() ? queue.hasAvailableFifoMessages() : queue.messages.length > 0;
}

/**
 * Runs the wait of every long poll (WaitTimeSeconds > 0) before fauxqs sees the request, and then
 * lets fauxqs receive without waiting, or answers with no message when the client has gone.
 * @param {App} app
 * @param {any} sqsStore the fauxqs SqsStore the app was built with
 * @returns {void}
 */
function receiveOnlyForConnectedClients(app, sqsStore) {
  app.addHook('preHandler', async (request, reply) => {
    const call = sqsCall(request);
    if (call?.action !== 'ReceiveMessage' || typeof call.body.QueueUrl !== 'string') return;
    const queue = sqsStore.getQueue(call.body.QueueUrl);
    if (!queue) return;
    const wait = Number(
      call.body.WaitTimeSeconds ?? queue.attributes.ReceiveMessageWaitTimeSeconds ?? 0,
    );
    // Out-of-range values are left to fauxqs, which refuses them as SQS does.
    if (!Number.isInteger(wait) || wait <= 0 || wait > 20) return;

    const socket = request.raw.socket;
    let gone = socket.destroyed;
    /** @type {() => void} */
    let onClose = () => {};
    const closed = new Promise((resolve) => {
      onClose = () => {
        gone = true;
        resolve(undefined);
      };
      socket.once('close', onClose);
    });
    try {
      const deadline = Date.now() + wait * 1000;
      while (!gone && !hasReadyMessage(queue) && Date.now() < deadline) {
        await Promise.race([queue.waitForMessages((deadline - Date.now()) / 1000), closed]);
      }
    } finally {
      socket.off('close', onClose);
    }
    if (gone || socket.destroyed) {
      reply.header('content-type', JSON_CONTENT_TYPE);
      return reply.send({});
    }
    // The wait is over: fauxqs receives what is there now (possibly nothing, if another poll won).
    call.body.WaitTimeSeconds = 0;
  });
}

module.exports = { rejectMalformedReceiptHandles, receiveOnlyForConnectedClients };
