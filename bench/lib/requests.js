// Signed webhook requests for the benchmarks, made with the same signer as `npm run send` and the tests.

const { readFileSync } = require('node:fs');
const path = require('node:path');
const { httpEvent, lambdaContext } = require('../../local/offline/lambda-events');
const { freshen, localSource, signedRequest } = require('../../tools/send/send');

const root = path.resolve(__dirname, '../..');

/**
 * A factory of signed requests for one demo source of the local profile, each with fresh event ids.
 * @param {string} sourceName e.g. 'stripe'
 * @param {string} [sampleName] file name in events/webhooks without `.json` (defaults to the source)
 */
function signedRequests(sourceName, sampleName = sourceName) {
  const { source, secret } = localSource(sourceName);
  const sample = JSON.parse(
    readFileSync(path.join(root, 'events/webhooks', `${sampleName}.json`), 'utf8'),
  );
  return {
    source,
    secret,
    /** @returns {{ body: string, headers: Record<string, string> }} */
    next: () => signedRequest(source, freshen(sample), secret),
  };
}

module.exports = { signedRequests, httpEvent, lambdaContext };
