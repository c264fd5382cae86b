// `npm run send -- <source> <event.json> [--fresh] [--url http://127.0.0.1:3000]`
// Signs a sample event with the source's local secret and posts it to the local stack. The command
// line and exit codes are in args.js.

const { randomUUID } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { terminalText, visible } = require('../../shared/text/unsafe-characters');
const { readSecretSeed, secretSeedFile } = require('../../local/secrets/secret-store');
const { EXIT, SEND_USAGE, UsageError, exitCodeFor, parseSendArgs, webhookUrl } = require('./args');
const { sign } = require('./signers');

const root = path.resolve(__dirname, '..', '..');

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

/**
 * Reads the local stage's config for one source and its current secret.
 * @param {string} name
 */
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

/**
 * @typedef {object} SendIo what `runSend` talks to; tests pass their own
 * @property {typeof fetch} fetch
 * @property {Record<string, string | undefined>} env
 * @property {(line: string) => void} out
 * @property {(line: string) => void} err
 * @property {number} [timeoutMs]
 */

/**
 * Why a request got no answer, in words, with a hint for the usual cause.
 * @param {unknown} error
 * @param {number} timeoutMs
 * @returns {string}
 */
function describeNetworkError(error, timeoutMs) {
  const failure = /** @type {{ name?: string, message?: string,
    cause?: { code?: string, message?: string } }} */ (error);
  if (failure.name === 'TimeoutError') return `no answer in ${timeoutMs} ms`;
  const code = failure.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused: is `npm run dev` running on that port?';
  return [failure.message, code ?? failure.cause?.message].filter(Boolean).join(': ');
}

/**
 * `npm run send`: signs a sample event with the source's local secret, posts it, prints the URL and
 * the answer, and resolves to the exit code (see tools/send/args.js).
 * @param {readonly string[]} argv the arguments after `npm run send --`
 * @param {SendIo} io
 * @returns {Promise<number>}
 */
async function runSend(argv, io) {
  const timeoutMs = io.timeoutMs ?? 10_000;
  /** @type {{ url: string, body: string, headers: Record<string, string> }} */
  let request;
  try {
    const args = parseSendArgs(argv);
    if (args.help) {
      io.out(SEND_USAGE);
      return EXIT.delivered;
    }
    const { source, secret } = localSource(args.source);
    let envelope = JSON.parse(readFileSync(path.resolve(args.file), 'utf8'));
    if (args.fresh) envelope = freshen(envelope);
    request = { url: webhookUrl(args, io.env), ...signedRequest(source, envelope, secret) };
  } catch (error) {
    const message = terminalText(/** @type {Error} */ (error).message);
    io.err(error instanceof UsageError ? `${message}\n${SEND_USAGE}` : message);
    return EXIT.usage;
  }
  const url = visible(request.url);
  io.out(`POST ${url}`);
  /** @type {Response} */
  let response;
  try {
    response = await io.fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    io.err(`POST ${url} failed: ${visible(describeNetworkError(error, timeoutMs))}`);
    return EXIT.failed;
  }
  // The answer comes from whatever listens on that URL: printed with control, bidirectional and
  // zero-width characters made visible, so it cannot drive the terminal (the body keeps its lines).
  io.out(`${response.status} ${visible(response.statusText)}`);
  for (const header of ['content-type', 'retry-after', 'x-correlation-id']) {
    const value = response.headers.get(header);
    if (value) io.out(`${header}: ${visible(value)}`);
  }
  io.out(terminalText(await response.text()));
  const code = exitCodeFor(response.status);
  if (code !== EXIT.delivered) io.err(`POST ${url} was not accepted (${response.status})`);
  return code;
}

if (require.main === module) {
  runSend(process.argv.slice(2), {
    fetch,
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then((code) => {
    process.exitCode = code;
  });
}

module.exports = { signedRequest, localSource, freshen, runSend };
