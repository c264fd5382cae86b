// `npm run send -- <source> <event.json> [--fresh] [--url http://127.0.0.1:3000]`
// Signs a sample event with the source's local secret and posts it to the local stack.

const { randomUUID } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { readSecretSeed, secretSeedFile } = require('./secret-store');
const { sign } = require('./signers');

const root = path.resolve(__dirname, '..');

/**
 * @typedef {object} Envelope A sample in events/webhooks: the body plus unsigned headers.
 * @property {Record<string, string>} [headers]
 * @property {string} [contentType]
 * @property {string} [id] Standard Webhooks: the signed `webhook-id`.
 * @property {unknown} body An object (sent as JSON) or a string (sent as is).
 */

/**
 * Gives an envelope new event ids, so the stack sees a new event instead of a duplicate.
 * @param {Envelope} envelope
 * @returns {Envelope}
 */
function freshen(envelope) {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 16);
  const body =
    typeof envelope.body === 'object' && envelope.body !== null
      ? { ...envelope.body, nonce: suffix }
      : `${envelope.body}&nonce=${suffix}`;
  if (typeof body === 'object') {
    if ('id' in body) body.id = `evt_${suffix}`;
    if ('event_id' in body) body.event_id = `Ev${suffix}`;
  }
  return { ...envelope, body, ...(envelope.id ? { id: `msg_${suffix}` } : {}) };
}

/**
 * Builds the exact bytes and headers a provider would send for this sample.
 * @param {{ scheme: string, signatureHeader?: string, signatureEncoding?: 'hex' | 'base64' }} source
 * @param {Envelope} envelope
 * @param {string} secret
 * @param {number} [timestamp]
 */
function signedRequest(source, envelope, secret, timestamp) {
  const body = typeof envelope.body === 'string' ? envelope.body : JSON.stringify(envelope.body);
  const signature = sign(/** @type {any} */ (source.scheme), {
    body,
    secret,
    ...(timestamp ? { timestamp } : {}),
    ...(envelope.id ? { id: envelope.id } : {}),
    ...(source.signatureHeader ? { header: source.signatureHeader } : {}),
    ...(source.signatureEncoding ? { encoding: source.signatureEncoding } : {}),
  });
  const headers = {
    'Content-Type': envelope.contentType ?? 'application/json',
    ...(envelope.headers ?? {}),
    ...signature,
  };
  return { body, headers };
}

/** Reads the local stage's config for one source and its current secret. */
function localSource(name) {
  // The catalog the local stack reads: SOURCES_FILE when set (as for the functions), else the bundled.
  const file = process.env.SOURCES_FILE || path.join(root, 'config/sources.json');
  const profiles = JSON.parse(readFileSync(path.resolve(file), 'utf8'));
  const source = profiles.local?.sources?.[name];
  if (!source) throw new Error(`No source "${name}" in the local profile of ${file}`);
  const secretsFile = secretSeedFile();
  const seed = readSecretSeed(secretsFile);
  const prefix = process.env.SECRETS_PREFIX ?? 'connector-suite/local';
  const secretName = source.secretName ?? `${prefix}/webhooks/${name}`;
  // Seed values are stored as JSON text, as the Secrets Manager endpoint serves them.
  const current = JSON.parse(seed[secretName] ?? 'null')?.current;
  if (!current)
    throw new Error(`No secret "${secretName}" with a "current" value in ${secretsFile}`);
  return { source, secret: current };
}

async function main(argv) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const flag = (name) => argv.find((a) => a.startsWith(`--${name}`));
  const [name, file] = args;
  if (!name || !file) {
    console.error(
      'usage: npm run send -- <source> <event.json> [--fresh] [--url=http://127.0.0.1:3000]',
    );
    process.exit(2);
  }
  const { source, secret } = localSource(name);
  let envelope = JSON.parse(readFileSync(path.resolve(file), 'utf8'));
  if (flag('fresh')) envelope = freshen(envelope);
  const base = flag('url')?.split('=')[1] ?? `http://127.0.0.1:${process.env.HTTP_PORT ?? 3000}`;
  const { body, headers } = signedRequest(source, envelope, secret);
  const response = await fetch(`${base}/webhooks/${name}`, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(10_000),
  });
  console.log(`${response.status} ${response.statusText}`);
  for (const header of ['content-type', 'retry-after', 'x-correlation-id']) {
    const value = response.headers.get(header);
    if (value) console.log(`${header}: ${value}`);
  }
  console.log(await response.text());
  process.exitCode = response.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(
      error.cause?.code === 'ECONNREFUSED' ? 'Is `npm run dev` running?' : '',
      error.message,
    );
    process.exit(1);
  });
}

module.exports = { signedRequest, localSource, freshen };
