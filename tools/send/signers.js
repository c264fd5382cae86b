// Signs webhook requests the way each provider does, for `npm run send`, tests and benchmarks.
// Plain CommonJS so `node tools/send/send.js` can load it without a TypeScript step. It is written
// independently of functions/webhook-ingest/signatures on purpose: a round trip through two
// implementations catches a mistake that one implementation checking itself would not.

const { createHmac, randomBytes } = require('node:crypto');

/**
 * @typedef {'stripe' | 'github' | 'slack' | 'shopify' | 'standard' | 'generic'} Scheme
 */

/**
 * @typedef {object} SignOptions
 * @property {Buffer | string} body The exact body that will be sent (a string is sent as UTF-8).
 * @property {string} secret The signing secret as the source is configured with it.
 * @property {number} [timestamp] Seconds since the epoch; defaults to now (stripe, slack, standard).
 * @property {string} [id] Delivery id: `webhook-id` (standard, default random), `X-GitHub-Delivery`
 *   (github) or `X-Shopify-Webhook-Id` (shopify); not signed except by standard.
 * @property {string} [header] `generic` only: the header to carry the signature (default `x-signature`).
 * @property {'hex' | 'base64'} [encoding] `generic` only: how to write the HMAC (default `hex`).
 */

/** Every scheme `sign` knows. */
const schemes = Object.freeze(['stripe', 'github', 'slack', 'shopify', 'standard', 'generic']);

/**
 * HMAC-SHA256 over the concatenated parts.
 * @param {string | Buffer} key
 * @param {...(string | Buffer)} parts
 * @returns {Buffer}
 */
function hmac(key, ...parts) {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Standard Webhooks key: base64 after `whsec_`, or the whole secret as base64 without the prefix.
 * @param {string} secret
 * @returns {Buffer}
 */
function standardKey(secret) {
  return Buffer.from(
    secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret,
    'base64',
  );
}

/**
 * Returns the headers that make `body` verify under `scheme`, named as the provider names them.
 * The receiver matches names case-insensitively.
 *
 * @param {Scheme} scheme
 * @param {SignOptions} options
 * @returns {Record<string, string>}
 */
function sign(scheme, options) {
  const body = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  const { secret } = options;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  switch (scheme) {
    case 'stripe':
      return {
        'Stripe-Signature': `t=${timestamp},v1=${hmac(secret, `${timestamp}.`, body).toString('hex')}`,
      };
    case 'github':
      return {
        'X-Hub-Signature-256': `sha256=${hmac(secret, body).toString('hex')}`,
        ...(options.id ? { 'X-GitHub-Delivery': options.id } : {}),
      };
    case 'slack':
      return {
        'X-Slack-Request-Timestamp': timestamp,
        'X-Slack-Signature': `v0=${hmac(secret, `v0:${timestamp}:`, body).toString('hex')}`,
      };
    case 'shopify':
      return {
        'X-Shopify-Hmac-Sha256': hmac(secret, body).toString('base64'),
        ...(options.id ? { 'X-Shopify-Webhook-Id': options.id } : {}),
      };
    case 'standard': {
      const id = options.id ?? `msg_${randomBytes(12).toString('hex')}`;
      const signature = hmac(standardKey(secret), `${id}.${timestamp}.`, body).toString('base64');
      return {
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1,${signature}`,
      };
    }
    case 'generic':
      return {
        [options.header ?? 'x-signature']: hmac(secret, body).toString(options.encoding ?? 'hex'),
      };
    default:
      throw new TypeError(`unknown signature scheme: ${String(scheme)}`);
  }
}

module.exports = { sign, schemes };
