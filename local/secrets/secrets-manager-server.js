const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { closeServer, listen, LOOPBACK } = require('../stack/ports');
const { SecretsManagerError } = require('./secret-store');

/**
 * A local Secrets Manager endpoint speaking the AWS JSON 1.1 protocol (`X-Amz-Target:
 * secretsmanager.<Operation>`), enough for the SDK v3 client to work unchanged against it.
 */

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** @param {Date | undefined} date Secrets Manager sends timestamps as epoch seconds */
const epochSeconds = (date) => (date ? date.getTime() / 1000 : undefined);

/**
 * @param {Record<string, any>} input
 * @param {string} field
 * @returns {string}
 */
function required(input, field) {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw new SecretsManagerError('InvalidParameterException', `${field} is required.`);
  }
  return value;
}

/**
 * The `SecretListEntry` / `DescribeSecret` shape of a secret.
 * @param {import('./secret-store').Secret} secret
 */
function describe(secret) {
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    CreatedDate: epochSeconds(secret.createdDate),
    LastChangedDate: epochSeconds(secret.lastChangedDate),
    LastAccessedDate: epochSeconds(secret.lastAccessedDate),
    Tags: secret.tags,
    VersionIdsToStages: Object.fromEntries(
      secret.versions.map((version) => [version.versionId, version.stages]),
    ),
  };
}

/**
 * One function per supported operation, each taking the parsed request body.
 * @param {import('./secret-store').SecretStore} store
 * @returns {Record<string, (input: Record<string, any>) => object>}
 */
function operations(store) {
  return {
    GetSecretValue(input) {
      const { secret, version } = store.getValue(required(input, 'SecretId'), {
        versionId: input.VersionId,
        versionStage: input.VersionStage,
      });
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.secretString,
        SecretBinary: version.secretBinary,
        VersionStages: version.stages,
        CreatedDate: epochSeconds(version.createdDate),
      };
    },
    DescribeSecret(input) {
      return describe(store.get(required(input, 'SecretId')));
    },
    CreateSecret(input) {
      const secret = store.create({
        name: required(input, 'Name'),
        secretString: input.SecretString,
        secretBinary: input.SecretBinary,
        description: input.Description,
        tags: Array.isArray(input.Tags) ? input.Tags : [],
        versionId: input.ClientRequestToken,
      });
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versions[0]?.versionId };
    },
    PutSecretValue(input) {
      if (input.SecretString === undefined && input.SecretBinary === undefined) {
        throw new SecretsManagerError(
          'InvalidParameterException',
          'You must provide either SecretString or SecretBinary.',
        );
      }
      const { secret, version } = store.putValue(required(input, 'SecretId'), {
        secretString: input.SecretString,
        secretBinary: input.SecretBinary,
        versionId: input.ClientRequestToken,
      });
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: version.stages,
      };
    },
    ListSecrets(input) {
      const prefixes = (Array.isArray(input.Filters) ? input.Filters : [])
        .filter((filter) => filter?.Key === 'name')
        .flatMap((filter) => filter.Values ?? []);
      const all = store
        .list()
        .filter(
          (secret) => prefixes.length === 0 || prefixes.some((p) => secret.name.startsWith(p)),
        );
      const start = Number(input.NextToken ?? 0) || 0;
      const size = Math.min(Math.max(Number(input.MaxResults) || 100, 1), 100);
      const page = all.slice(start, start + size);
      const next = start + size < all.length ? String(start + size) : undefined;
      const entries = page.map((secret) => {
        const { VersionIdsToStages, ...entry } = describe(secret);
        return { ...entry, SecretVersionsToStages: VersionIdsToStages };
      });
      return { SecretList: entries, NextToken: next };
    },
  };
}

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {object} body
 */
function send(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(payload);
}

/**
 * @param {http.ServerResponse} res
 * @param {string} type
 * @param {string} message
 */
function sendError(res, type, message) {
  res.setHeader('x-amzn-ErrorType', type);
  send(res, type === 'InternalServiceError' ? 500 : 400, {
    __type: type,
    message,
    Message: message,
  });
}

/**
 * The request listener: routes by `X-Amz-Target` and answers AWS-shaped JSON.
 * @param {import('./secret-store').SecretStore} store
 * @returns {http.RequestListener}
 */
function secretsManagerHandler(store) {
  const handlers = operations(store);
  return (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('secretsmanager.') ? target.slice(15) : '';
      const handler = Object.hasOwn(handlers, operation) ? handlers[operation] : undefined;
      if (req.method !== 'POST' || !handler) {
        sendError(res, 'UnknownOperationException', `Unknown operation ${target || '(none)'}.`);
        return;
      }
      let input;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        input = text === '' ? {} : JSON.parse(text);
      } catch {
        sendError(res, 'SerializationException', 'The request body is not valid JSON.');
        return;
      }
      try {
        send(res, 200, handler(input ?? {}));
      } catch (error) {
        if (error instanceof SecretsManagerError) sendError(res, error.type, error.message);
        else sendError(res, 'InternalServiceError', 'The local endpoint failed.');
      }
    });
  };
}

/**
 * Starts the endpoint on 127.0.0.1.
 * @param {{ port: number, store: import('./secret-store').SecretStore }} options
 * @returns {Promise<{ endpoint: string, close: () => Promise<void> }>}
 */
async function startSecretsManagerServer({ port, store }) {
  const server = http.createServer(secretsManagerHandler(store));
  const target = {
    port,
    host: LOOPBACK,
    label: 'Secrets Manager endpoint',
    envVar: 'LOCAL_SECRETS_PORT',
  };
  await listen(server, target);
  return { endpoint: `http://${LOOPBACK}:${port}`, close: () => closeServer(server) };
}

module.exports = { startSecretsManagerServer, secretsManagerHandler };
