// The floors of benchmark 1: hand-written ingests that do only the unavoidable work for a Stripe
// webhook, so the real ingest's cost can be read against them. No secret fetch (ingest's is cached
// too), no logging, no HTTP layer.

const { createHmac, timingSafeEqual } = require('node:crypto');
const {
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} = require('@aws-sdk/client-dynamodb');
const { SendMessageCommand } = require('@aws-sdk/client-sqs');

/** How long a floor's completed record lives, as ingest's dedupe records do (at least 72 h). */
const EXPIRES_AFTER_SECONDS = 4 * 24 * 3600;
/** How long a crash-safe floor's in-progress claim holds before a retry may take it over. */
const IN_PROGRESS_MS = 10_000;

/**
 * @typedef {{ secret: string, toleranceSeconds: number, table: string, queueUrl: string,
 *   dynamoDb: import('@aws-sdk/client-dynamodb').DynamoDBClient,
 *   sqs: import('@aws-sdk/client-sqs').SQSClient }} FloorDeps
 * @typedef {{ statusCode: number, body: string }} FloorAnswer
 * @typedef {import('aws-lambda').APIGatewayProxyEventV2} HttpEvent
 */

/**
 * Verifies a Stripe signature (one `v1`, the tolerance) and parses the body, or returns `undefined`.
 * @param {HttpEvent} event
 * @param {Buffer} secret
 * @param {number} toleranceSeconds
 * @returns {{ id: string, type: string } | undefined}
 */
function verifiedStripePayload(event, secret, toleranceSeconds) {
  const headers = event.headers;
  const header = headers['Stripe-Signature'] ?? headers['stripe-signature'] ?? '';
  let timestamp = '';
  let given = '';
  for (const part of header.split(',')) {
    if (part.startsWith('t=')) timestamp = part.slice(2);
    else if (part.startsWith('v1=') && !given) given = part.slice(3);
  }
  const body = event.body ?? '';
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  const actual = Buffer.from(given, 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  if (!(Math.abs(Date.now() / 1000 - Number(timestamp)) <= toleranceSeconds)) return undefined;
  return JSON.parse(body);
}

/**
 * Sends the one routed message of a Stripe event.
 * @param {FloorDeps} deps
 * @param {{ id: string, type: string }} payload
 */
function enqueue(deps, payload) {
  return deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.queueUrl,
      MessageBody: JSON.stringify({
        id: `stripe:${payload.id}`,
        type: payload.type,
        data: payload,
      }),
    }),
  );
}

/** @param {{ id: string }} payload */
const accepted = (payload) =>
  JSON.stringify({ eventId: payload.id, routes: 1, status: 'accepted' });

/**
 * The one-write floor: one conditional PutItem that records the event as done, then SendMessage.
 * Not crash-safe: a crash (or a failed send) between the two loses the event, because the retry is
 * answered as a duplicate.
 * @param {FloorDeps} deps
 * @returns {(event: HttpEvent) => Promise<FloorAnswer>}
 */
function makeOneWriteFloor(deps) {
  const secret = Buffer.from(deps.secret, 'utf8');
  return async function oneWriteFloor(event) {
    const payload = verifiedStripePayload(event, secret, deps.toleranceSeconds);
    if (!payload) return { statusCode: 401, body: '' };
    try {
      await deps.dynamoDb.send(
        new PutItemCommand({
          TableName: deps.table,
          Item: {
            id: { S: `bench-floor#stripe:${payload.id}` },
            expiration: { N: String(Math.floor(Date.now() / 1000) + EXPIRES_AFTER_SECONDS) },
            status: { S: 'COMPLETED' },
          },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (error) {
      if (/** @type {Error} */ (error).name === 'ConditionalCheckFailedException') {
        return { statusCode: 202, body: '' };
      }
      throw error;
    }
    await enqueue(deps, payload);
    return { statusCode: 202, body: accepted(payload) };
  };
}

/**
 * The crash-safe floor: a conditional PutItem claims the event as in progress (taking over an
 * expired record or an abandoned claim), SendMessage, then an UpdateItem marks it COMPLETED with the
 * stored answer. A duplicate reads the stored answer from the failed condition (ALL_OLD), not from a
 * second request; a failed send deletes the claim, so the retry does the work.
 * @param {FloorDeps} deps
 * @returns {(event: HttpEvent) => Promise<FloorAnswer>}
 */
function makeCrashSafeFloor(deps) {
  const secret = Buffer.from(deps.secret, 'utf8');
  return async function crashSafeFloor(event) {
    const payload = verifiedStripePayload(event, secret, deps.toleranceSeconds);
    if (!payload) return { statusCode: 401, body: '' };
    const key = { id: { S: `bench-crash-safe-floor#stripe:${payload.id}` } };
    const now = Date.now();
    const expiration = { N: String(Math.floor(now / 1000) + EXPIRES_AFTER_SECONDS) };
    try {
      await deps.dynamoDb.send(
        new PutItemCommand({
          TableName: deps.table,
          Item: {
            ...key,
            expiration,
            in_progress_expiration: { N: String(now + IN_PROGRESS_MS) },
            status: { S: 'INPROGRESS' },
          },
          ConditionExpression:
            'attribute_not_exists(id) OR expiration < :now OR ' +
            '(#status = :inProgress AND in_progress_expiration < :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':now': { N: String(now / 1000) },
            ':nowMs': { N: String(now) },
            ':inProgress': { S: 'INPROGRESS' },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (/** @type {Error} */ (error).name !== 'ConditionalCheckFailedException') throw error;
      const stored = /** @type {any} */ (error).Item;
      if (stored?.status?.S === 'COMPLETED') return { statusCode: 202, body: stored.data?.S ?? '' };
      return { statusCode: 409, body: '' };
    }
    try {
      await enqueue(deps, payload);
    } catch (error) {
      await deps.dynamoDb.send(new DeleteItemCommand({ TableName: deps.table, Key: key }));
      throw error;
    }
    const body = accepted(payload);
    await deps.dynamoDb.send(
      new UpdateItemCommand({
        TableName: deps.table,
        Key: key,
        UpdateExpression: 'SET #status = :completed, expiration = :expiration, #data = :data',
        ExpressionAttributeNames: { '#status': 'status', '#data': 'data' },
        ExpressionAttributeValues: {
          ':completed': { S: 'COMPLETED' },
          ':expiration': expiration,
          ':data': { S: body },
        },
      }),
    );
    return { statusCode: 202, body };
  };
}

module.exports = { makeOneWriteFloor, makeCrashSafeFloor, verifiedStripePayload };
