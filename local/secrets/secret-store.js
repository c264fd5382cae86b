const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { LOCAL_ACCOUNT_ID, LOCAL_REGION } = require('../stack/cloudformation-local');
const { LocalStackError } = require('../stack/local-stack-error');

/**
 * @typedef {object} SecretVersion
 * @property {string} versionId
 * @property {string} [secretString]
 * @property {string} [secretBinary] base64
 * @property {string[]} stages
 * @property {Date} createdDate
 *
 * @typedef {object} Secret
 * @property {string} name
 * @property {string} arn
 * @property {string} [description]
 * @property {Date} createdDate
 * @property {Date} lastChangedDate
 * @property {Date} [lastAccessedDate]
 * @property {{ Key: string, Value: string }[]} tags
 * @property {SecretVersion[]} versions
 */

/** An error shaped like the one Secrets Manager answers, `type` becoming `__type`. */
class SecretsManagerError extends Error {
  /** @param {string} type @param {string} message */
  constructor(type, message) {
    super(message);
    this.name = 'SecretsManagerError';
    this.type = type;
  }
}

/**
 * In-memory secrets with versions and the AWSCURRENT / AWSPREVIOUS stages, found by name or ARN.
 */
class SecretStore {
  /** @type {Map<string, Secret>} */
  #byName = new Map();

  /**
   * @param {{ name: string, secretString?: string, secretBinary?: string, description?: string,
   *   tags?: { Key: string, Value: string }[], versionId?: string }} input
   * @returns {Secret}
   */
  create({ name, secretString, secretBinary, description, tags = [], versionId }) {
    if (this.#byName.has(name)) {
      throw new SecretsManagerError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const now = new Date();
    // Real ARNs end in a dash and six random characters; code that parses them should see one.
    const suffix = randomBytes(3).toString('hex');
    /** @type {Secret} */
    const secret = {
      name,
      arn: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}-${suffix}`,
      description,
      createdDate: now,
      lastChangedDate: now,
      tags,
      versions: [],
    };
    this.#byName.set(name, secret);
    if (secretString !== undefined || secretBinary !== undefined) {
      this.putValue(name, { secretString, secretBinary, versionId });
    }
    return secret;
  }

  /**
   * Adds a version and makes it AWSCURRENT; the former current one becomes AWSPREVIOUS.
   * @param {string} secretId name or ARN
   * @param {{ secretString?: string, secretBinary?: string, versionId?: string }} value
   * @returns {{ secret: Secret, version: SecretVersion }}
   */
  putValue(secretId, { secretString, secretBinary, versionId }) {
    const secret = this.get(secretId);
    const existing = secret.versions.find((version) => version.versionId === versionId);
    if (existing) return { secret, version: existing };
    for (const version of secret.versions) {
      version.stages = version.stages.includes('AWSCURRENT')
        ? ['AWSPREVIOUS']
        : version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
    }
    /** @type {SecretVersion} */
    const version = {
      versionId: versionId ?? randomUUID(),
      secretString,
      secretBinary,
      stages: ['AWSCURRENT'],
      createdDate: new Date(),
    };
    secret.versions = [...secret.versions.filter((v) => v.stages.length > 0), version];
    secret.lastChangedDate = version.createdDate;
    return { secret, version };
  }

  /**
   * Finds a secret by name, full ARN or ARN without its random suffix.
   * @param {string} secretId
   * @returns {Secret}
   */
  get(secretId) {
    const secret =
      this.#byName.get(secretId) ??
      [...this.#byName.values()].find(
        (candidate) => candidate.arn === secretId || candidate.arn.startsWith(`${secretId}-`),
      );
    if (!secret) {
      throw new SecretsManagerError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    return secret;
  }

  /**
   * The version asked for: by id, by stage, or AWSCURRENT.
   * @param {string} secretId
   * @param {{ versionId?: string, versionStage?: string }} selector
   * @returns {{ secret: Secret, version: SecretVersion }}
   */
  getValue(secretId, { versionId, versionStage }) {
    const secret = this.get(secretId);
    const stage = versionStage ?? (versionId ? undefined : 'AWSCURRENT');
    const version = secret.versions.find(
      (candidate) =>
        (versionId === undefined || candidate.versionId === versionId) &&
        (stage === undefined || candidate.stages.includes(stage)),
    );
    if (!version) {
      throw new SecretsManagerError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for the requested version or stage.",
      );
    }
    secret.lastAccessedDate = new Date();
    return { secret, version };
  }

  /** @returns {Secret[]} every secret, sorted by name */
  list() {
    return [...this.#byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/**
 * Reads a seed file `{"<secret name>": <value>}`; object values are stored as their JSON text.
 * A missing file gives an empty seed and a warning, a malformed one fails.
 * @param {string} file
 * @param {(message: string) => void} [warn]
 * @returns {Record<string, string>}
 */
function readSecretSeed(file, warn = () => {}) {
  if (!fs.existsSync(file)) {
    warn(`No secrets seed at ${file}: the Secrets Manager endpoint starts empty.`);
    return {};
  }
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const detail = /** @type {Error} */ (error).message;
    throw new LocalStackError(`The secrets seed ${file} is not valid JSON: ${detail}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new LocalStackError(`The secrets seed ${file} must be an object {"<name>": <value>}.`);
  }
  return Object.fromEntries(
    Object.entries(parsed).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}

/**
 * The seed file the local stage uses: `LOCAL_SECRETS_FILE` (relative to `baseDir`), else
 * `local/secrets/secrets.json`.
 * @param {string} [baseDir]
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string}
 */
function secretSeedFile(baseDir = process.cwd(), env = process.env) {
  return path.resolve(baseDir, env.LOCAL_SECRETS_FILE || path.join(__dirname, 'secrets.json'));
}

/**
 * A store holding one AWSCURRENT version of every seeded secret.
 * @param {Record<string, string>} seed
 * @returns {SecretStore}
 */
function seededSecretStore(seed) {
  const store = new SecretStore();
  for (const [name, secretString] of Object.entries(seed)) store.create({ name, secretString });
  return store;
}

module.exports = {
  SecretStore,
  SecretsManagerError,
  readSecretSeed,
  secretSeedFile,
  seededSecretStore,
};
