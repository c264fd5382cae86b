// `npm run source -- add <name> --scheme <scheme> [--route <match>=<to>]... [--ceiling N]`
// Adds a source to the local profile of config/sources.json (or SOURCES_FILE) and a fresh signing
// secret in the scheme's format to the local seed (local/secrets/secrets.json or LOCAL_SECRETS_FILE).

const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { terminalText } = require('../../shared/text/unsafe-characters');
const { formatCatalog } = require('./catalog-json');
const { compileModules } = require('../../local/stack/preflight');
const { secretSeedFile } = require('../../local/secrets/secret-store');

const root = path.resolve(__dirname, '..', '..');
const PROFILE = 'local';
const BUNDLED = 'config/sources.json';

const USAGE = `usage: npm run source -- add <name> --scheme <scheme> [options]

Adds a webhook source to the "${PROFILE}" profile of ${BUNDLED} (or the file in SOURCES_FILE) and
stores a new random signing secret for it in local/secrets/secrets.json (or the file in LOCAL_SECRETS_FILE).

  <name>                  lower-case letters, digits and dashes
  --scheme <scheme>       stripe, github, slack, shopify, standard or generic
  --route <match>=<to>    a route, repeatable: --route 'invoice.*=workflow:billing'
                          (<to> is workflow:<name> or email:<template of the profile>)
  --ceiling <N>           abuse ceiling, requests per second (default 500)
  --help                  this text

Exit codes: 0 added, 2 refused (nothing written).`;

/** A refusal: shown as is, exit code 2, nothing written. */
class Refusal extends Error {}

/**
 * A new signing secret in the form the scheme's senders use: Standard Webhooks `whsec_` + base64 of
 * the key, Stripe `whsec_` + text, the others plain random text.
 * @param {string} scheme
 * @returns {string}
 */
function newSecret(scheme) {
  if (scheme === 'standard') return `whsec_${randomBytes(24).toString('base64')}`;
  if (scheme === 'stripe') return `whsec_${randomBytes(24).toString('hex')}`;
  return randomBytes(32).toString('hex');
}

/**
 * @param {string} file
 * @param {unknown} fallback returned when the file does not exist
 * @returns {any}
 */
function readJson(file, fallback) {
  if (!fs.existsSync(file)) return fallback;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Refusal(`${file} is not valid JSON: ${/** @type {Error} */ (error).message}`);
  }
}

/** Writes through a temporary file, so a crash never leaves half a file behind. */
function writeAtomically(/** @type {string} */ file, /** @type {string} */ text) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

/**
 * The source entry the options describe, keys in a fixed order.
 * @param {{ scheme: string, route?: string[], ceiling?: string }} values
 * @returns {{ scheme: string, abuseCeiling?: { perSecond: number },
 *   routes: { match: string, to: string }[] }}
 */
function sourceEntry({ scheme, route = [], ceiling }) {
  const routes = route.map((text) => {
    const separator = text.indexOf('=');
    if (separator <= 0) throw new Refusal(`--route takes <match>=<to>, got "${text}"`);
    return { match: text.slice(0, separator), to: text.slice(separator + 1) };
  });
  return {
    scheme,
    ...(ceiling === undefined ? {} : { abuseCeiling: { perSecond: Number(ceiling) } }),
    routes,
  };
}

/**
 * Runs the command. Returns the exit code; `out` and `err` receive whole lines.
 * @param {string[]} argv
 * @param {{ env?: NodeJS.ProcessEnv, out?: (line: string) => void, err?: (line: string) => void }}
 *   [io]
 * @returns {Promise<number>}
 */
async function runSourceCommand(argv, io = {}) {
  const { env = process.env } = io;
  // Messages echo the arguments and the catalog's contents: printed with control, bidirectional and
  // zero-width characters made visible, so neither can drive the terminal.
  const out = (/** @type {string} */ line) => (io.out ?? console.log)(terminalText(line));
  const err = (/** @type {string} */ line) => (io.err ?? console.error)(terminalText(line));
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        scheme: { type: 'string' },
        route: { type: 'string', multiple: true },
        ceiling: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    const [command, name, ...extra] = positionals;
    if (command !== 'add' || !name || extra.length > 0 || !values.scheme) {
      throw new Refusal(USAGE);
    }
    return await addSource({ name, values: { ...values, scheme: values.scheme }, env, out });
  } catch (error) {
    // parseArgs refuses unknown or malformed options with ERR_PARSE_ARGS_* codes.
    // (Read without instanceof Error: under jest, Node's own errors come from another realm.)
    const code = /** @type {{ code?: unknown } | undefined} */ (error)?.code;
    const badArgs = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
    if (!(error instanceof Refusal) && !badArgs) throw error;
    err(/** @type {Error} */ (error).message);
    return 2;
  }
}

/**
 * @param {{ name: string, values: { scheme: string, route?: string[], ceiling?: string },
 *   env: NodeJS.ProcessEnv, out: (line: string) => void }} options
 * @returns {Promise<number>}
 */
async function addSource({ name, values, env, out }) {
  const catalogFile = path.resolve(env.SOURCES_FILE || path.join(root, BUNDLED));
  const seedFile = secretSeedFile(process.cwd(), env);
  const shown = (/** @type {string} */ file) =>
    file.startsWith(`${root}${path.sep}`) ? path.relative(root, file) : file;
  const catalog = readJson(catalogFile, undefined);
  const profile = catalog?.[PROFILE];
  if (!profile || typeof profile !== 'object') {
    throw new Refusal(`${shown(catalogFile)} has no "${PROFILE}" profile.`);
  }
  if (Object.hasOwn(profile.sources ?? {}, name)) {
    throw new Refusal(
      `Source "${name}" already exists in ${shown(catalogFile)}: pick another name.`,
    );
  }
  const entry = sourceEntry(values);
  const prefix = env.SECRETS_PREFIX || `connector-suite/${PROFILE}`;
  const secretName = `${prefix}/webhooks/${name}`;

  // The handler's own loader judges the entry: name, scheme, routes and ceiling, as at cold start.
  const { sources, format, workflows } = await compileModules(root, {
    sources: path.join(root, 'shared/sources/catalog.ts'),
    format: path.join(root, 'functions/webhook-ingest/signatures/secret-format.ts'),
    workflows: path.join(root, 'shared/workflow/registry.ts'),
  });
  const proposed = { [PROFILE]: { sources: { [name]: entry }, emailTemplates: {} } };
  try {
    proposed[PROFILE].emailTemplates = profile.emailTemplates ?? {};
    sources.loadSourceCatalog(proposed, PROFILE, prefix);
  } catch (error) {
    const message = /** @type {Error} */ (error).message;
    throw new Refusal(message.replace(`${BUNDLED} `, `${shown(catalogFile)} `));
  }
  // A route to a workflow the registry lacks would dead-letter every job, and `npm run dev` refuses
  // to start with one: refused here too, with the way out. (The command does not add a registry
  // entry itself: the engine path it maps to is a fact only the developer knows.)
  try {
    const registry = workflows.loadWorkflowRegistry(workflows.workflowProfiles(env), PROFILE);
    const problems = workflows.unregisteredWorkflowRoutes(proposed, registry, {
      sourcesFile: shown(catalogFile),
      sourcesProfile: PROFILE,
      workflowsFile: workflows.workflowsFileName(env),
      workflowsProfile: PROFILE,
    });
    if (problems.length > 0) {
      const missing = entry.routes
        .filter((route) => route.to.startsWith('workflow:'))
        .map((route) => route.to.slice('workflow:'.length))
        .filter((workflow) => !registry.has(workflow));
      throw new Refusal(
        [
          ...problems,
          `Nothing written. To route there, add to "${PROFILE}".workflows in ${workflows.workflowsFileName(env)}:`,
          ...[...new Set(missing)].map(
            (workflow) => `  "${workflow}": "webhook/<its path on the engine>"`,
          ),
          'then run this command again.',
        ].join('\n'),
      );
    }
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal(/** @type {Error} */ (error).message);
  }

  const seed = readJson(seedFile, {});
  if (Object.hasOwn(seed, secretName)) {
    throw new Refusal(`${shown(seedFile)} already holds "${secretName}": remove it first.`);
  }
  const secret = newSecret(values.scheme);
  const problems = format.signingSecretProblems(values.scheme, { current: secret });
  if (problems.length > 0) throw new Error(`generated secret is malformed: ${problems.join('; ')}`);

  profile.sources = { ...(profile.sources ?? {}), [name]: entry };
  writeAtomically(catalogFile, formatCatalog(catalog));
  writeAtomically(seedFile, formatCatalog({ ...seed, [secretName]: { current: secret } }));

  const port = env.LOCAL_SECRETS_PORT || '4584';
  const value = (/** @type {string} */ current) => `'${JSON.stringify({ current })}'`;
  out(
    [
      `Added source "${name}" (${values.scheme}) to the "${PROFILE}" profile of ${shown(catalogFile)}.`,
      `Stored a new signing secret "${secretName}" in ${shown(seedFile)}.`,
      ...(entry.routes.length === 0
        ? ['It has no routes yet: its events are accepted and go nowhere (--route).']
        : []),
      '',
      'Restart `npm run dev` (it reads sources and secrets when it starts), then send a signed sample:',
      `  npm run send -- ${name} events/webhooks/${values.scheme}.json --fresh`,
      '',
      'The same secret in a running local stack, without touching the seed file:',
      `  aws secretsmanager create-secret --endpoint-url http://127.0.0.1:${port} --region us-east-1 \\`,
      `    --name ${secretName} --secret-string ${value(secret)}`,
      '',
      'In AWS: add the entry to the profile of that stage (`default` for deployed stages) and create',
      'its secret with the signing secret the provider gives you (never this local one):',
      `  aws secretsmanager create-secret --name connector-suite/<stage>/webhooks/${name} \\`,
      `    --secret-string ${value('<signing secret from the provider>')}`,
    ].join('\n'),
  );
  return 0;
}

if (require.main === module) {
  runSourceCommand(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

module.exports = { runSourceCommand, newSecret };
