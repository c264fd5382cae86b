/**
 * The command line of `npm run send`, kept apart from the sending so it can be tested without a
 * stack. Exit codes: 0 the stack answered 2xx; 1 it answered anything else, or did not answer;
 * 2 the command line (or the source or event it names) is wrong.
 */

const SEND_USAGE =
  'usage: npm run send -- <source> <event.json> [--fresh] [--url http://127.0.0.1:3000]\n' +
  '  --fresh      give the event new ids, so the stack sees a new event, not a duplicate\n' +
  '  --url URL    base URL of the HTTP API (also --url=URL); default http://127.0.0.1:$HTTP_PORT\n' +
  '               (HTTP_PORT defaults to 3000)\n' +
  'Exit code: 0 on a 2xx answer, 1 on any other answer or none, 2 on a wrong command line.';

const EXIT = Object.freeze({ delivered: 0, failed: 1, usage: 2 });

/** A wrong command line: the message says what, the CLI adds the usage and exits 2. */
class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * @typedef {object} SendArgs
 * @property {boolean} help `--help` or `-h`: print the usage and send nothing
 * @property {string} source
 * @property {string} file the sample event (an envelope from events/webhooks)
 * @property {boolean} fresh
 * @property {string | undefined} url the base URL given with --url, without a trailing slash
 */

/**
 * @param {string} value
 * @returns {string}
 */
function checkedBaseUrl(value) {
  /** @type {URL} */
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--url needs an absolute URL such as http://127.0.0.1:3000, not "${value}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be http or https, not "${url.protocol}"`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * Parses the arguments after `npm run send --`. Both `--url X` and `--url=X` work; any other
 * option is an error rather than being ignored (a mistyped option must not send to a default).
 * @param {readonly string[]} argv
 * @returns {SendArgs}
 */
function parseSendArgs(argv) {
  /** @type {string[]} */
  const positional = [];
  let fresh = false;
  /** @type {string | undefined} */
  let url;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = /** @type {string} */ (argv[index]);
    if (arg === '--help' || arg === '-h') {
      return { help: true, source: '', file: '', fresh: false, url: undefined };
    }
    if (arg === '--fresh') {
      fresh = true;
    } else if (arg === '--url' || arg.startsWith('--url=')) {
      const value = arg === '--url' ? argv[++index] : arg.slice('--url='.length);
      if (value === undefined || value === '' || value.startsWith('-')) {
        throw new UsageError('--url needs a value, e.g. --url http://127.0.0.1:3000');
      }
      url = checkedBaseUrl(value);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  const [source, file, ...extra] = positional;
  if (source === undefined || file === undefined) {
    throw new UsageError('needs a source and an event file');
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  return { help: false, source, file, fresh, url };
}

/**
 * The URL a source's webhooks are posted to.
 * @param {SendArgs} args
 * @param {Record<string, string | undefined>} env
 * @returns {string}
 */
function webhookUrl(args, env) {
  const base = args.url ?? `http://127.0.0.1:${env.HTTP_PORT || 3000}`;
  return `${base}/webhooks/${encodeURIComponent(args.source)}`;
}

/**
 * Only a 2xx is a delivery: a sender must not take a 5xx (or anything else) for one.
 * @param {number} status
 * @returns {number}
 */
function exitCodeFor(status) {
  return status >= 200 && status < 300 ? EXIT.delivered : EXIT.failed;
}

module.exports = { EXIT, SEND_USAGE, UsageError, exitCodeFor, parseSendArgs, webhookUrl };
