import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { makeWebhookIngest } from '../../../../functions/webhook-ingest/ingest';
import { httpFunction } from '../../../../shared/http/http-function';
import { SecretCache } from '../../../../shared/secrets/secret-cache';
import { loadSourceCatalog } from '../../../../shared/sources/catalog';
import profiles from '../../../fixtures/sources.json';
import { httpEvent, lambdaContext, sample, signed } from '../../../helpers/ingest/webhook-requests';

const SECRET_TEXT = 'whsec_TOPSECRETsigningKEY0123456789';

/** Ingest with a real logger whose every line is captured, and Secrets Manager answering `value`. */
function ingestWithSecret(secretString: string) {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  }
  const secretsManager = mockClient(SecretsManagerClient);
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString });
  const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
  const handler = httpFunction(
    makeWebhookIngest({
      catalog: loadSourceCatalog(profiles, 'local', 'connector-suite/local'),
      secrets: new SecretCache({
        client: new SecretsManagerClient({}),
        maxAgeSeconds: 300,
        minRefreshIntervalSeconds: 30,
        now: Date.now,
      }),
      ceiling: { take: async () => ({ allowed: true, retryAfterSeconds: 1 }) },
      sqs: new SQSClient({}),
      dedupe: {
        once: async () => ({
          result: { eventId: 'e', routes: 0, status: 'accepted' },
          performed: true,
        }),
      },
      deadLetter: async () => ({ indexed: true }),
      queues: { emailJobs: 'q://e', emailJobsDlq: 'q://d', workflowJobs: 'q://w' },
      limits: { maxBodyBytes: 4096, maxMessageBytes: 8192, maxJsonDepth: 64 },
      nowSeconds: () => Math.floor(Date.now() / 1000),
      logger,
    }),
    { logger },
  );
  const request = signed({ scheme: 'stripe' }, sample('stripe', { fresh: true }), SECRET_TEXT);
  return { lines, call: () => handler(httpEvent('stripe', request), lambdaContext()) };
}

describe('a signing secret stored in the wrong shape', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['a bare string, not JSON', SECRET_TEXT, /is not JSON/],
    ['a JSON string instead of an object', JSON.stringify(SECRET_TEXT), /is a string/],
    [
      'an object without "current"',
      JSON.stringify({ key: SECRET_TEXT }),
      /an object without .{1,2}current/,
    ],
  ])(
    'answers 503 and logs %s by its name and shape, never its content',
    async (_what, stored, shape) => {
      const { lines, call } = ingestWithSecret(stored);

      const response = await call();

      expect(response.statusCode).toBe(503);
      const log = lines.join('');
      expect(log).toMatch(/connector-suite\/local\/webhooks\/stripe/);
      expect(log).toMatch(shape);
      // No piece of the secret, not even its first characters (a JSON parser quotes them).
      for (const piece of ['TOPSECRET', 'whsec_T', '0123456789']) expect(log).not.toContain(piece);
      expect(response.body).not.toMatch(/webhooks\/stripe|TOPSECRET/);
    },
  );
});
