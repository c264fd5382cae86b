import { ConfigError } from './errors';

/** An environment as a function sees it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The local secrets seed: `{"<secret name>": "<value as stored>"}` and the file it came from. */
export interface SecretSeed {
  /** The seed file, as messages should name it. */
  file: string;
  values: Readonly<Record<string, string>>;
}

/** What a function's preflight checks: its environment for the stage, and the secrets it will find. */
export interface PreflightInput {
  env: Env;
  secrets: SecretSeed;
}

/**
 * A function's own start-up check, run by the local stack before any server starts
 * (`functions/<name>/preflight.ts` exports one as `preflight`, beside `settings`: the variables
 * its loaders read). Returns every problem found, each naming the file, source and field or the
 * variable; an empty list means the function would start.
 */
export type Preflight = (input: PreflightInput) => string[];

/**
 * Satisfies a loader that requires a string (or an http(s) URL), so the variables after it can be
 * checked too.
 */
const STAND_IN = 'http://preflight-stand-in.invalid';

/** The variables whose names appear as words in a loader's message. */
const namedIn = (message: string, candidates: readonly string[]) =>
  candidates.filter((name) => new RegExp(`(^|[^A-Z0-9_])${name}([^A-Z0-9_]|$)`).test(message));

/**
 * Runs an environment loader (such as `loadIngestConfig`) and lists every setting it refuses, not
 * only the first: after each refusal the named variable is taken out (so an optional one falls back
 * to its default) or, when the loader requires it, replaced by a stand-in, and the loader runs again.
 * A refusal that names no variable of `settings` ends the search.
 */
export function settingProblems(
  load: (env: Env) => unknown,
  env: Env,
  settings: readonly string[],
): string[] {
  const problems: string[] = [];
  const reported = new Set<string>();
  const masked: Record<string, string | undefined> = { ...env };
  // Each variable is masked at most twice (removed, then stood in for), so this ends.
  for (let round = 0; round <= settings.length * 2; round += 1) {
    try {
      load(masked);
      return problems;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const [name] = namedIn(error.message, settings);
      if (name === undefined) return [...problems, error.message];
      if (!reported.has(name)) problems.push(error.message);
      reported.add(name);
      if (masked[name] === STAND_IN) return problems;
      masked[name] = masked[name] === undefined ? STAND_IN : undefined;
    }
  }
  return problems;
}

/**
 * Checks that the seed holds `<SECRETS_PREFIX>/<secret>` as a JSON object whose `field` is a non-empty
 * string. Returns the problem (ending with `consequence`) or nothing; nothing too without a prefix,
 * which the settings check reports.
 */
export function seedSecretProblems(
  env: Env,
  secrets: SecretSeed,
  secret: string,
  field: string,
  consequence: string,
): string[] {
  const prefix = env.SECRETS_PREFIX?.trim();
  if (!prefix) return [];
  const name = `${prefix}/${secret}`;
  let value: unknown;
  try {
    value = JSON.parse(secrets.values[name] ?? 'null')?.[field];
  } catch {
    value = undefined;
  }
  if (typeof value === 'string' && value !== '') return [];
  return [`${secrets.file} has no secret "${name}" with a "${field}": ${consequence}`];
}
