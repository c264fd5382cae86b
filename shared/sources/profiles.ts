import { readFileSync } from 'node:fs';
import path from 'node:path';
import bundledProfiles from '../../config/sources.json';
import { ConfigError } from '../errors';

/** The variable that points the sources catalog at another file (local runs and tests only). */
export const SOURCES_FILE = 'SOURCES_FILE';

/** Where the bundled catalog comes from, as messages name it. */
export const BUNDLED_SOURCES_FILE = 'config/sources.json';

type Env = Readonly<Record<string, string | undefined>>;

/** The file the catalog is read from: `SOURCES_FILE` as given, else the bundled one. */
export function sourcesFileName(env: Env): string {
  return env[SOURCES_FILE]?.trim() || BUNDLED_SOURCES_FILE;
}

/**
 * Every profile of the sources catalog. Deployed functions use the copy of `config/sources.json`
 * bundled with them; a local stack or a test may name its own file in `SOURCES_FILE` (relative to the
 * working directory), so that a developer's edits to the local profile never change what tests see.
 * Validation is `loadSourceCatalog`'s job: this only reads. Called once at cold start; `env` defaults
 * to the function's environment.
 *
 * @throws ConfigError naming SOURCES_FILE when that file cannot be read or is not JSON.
 */
export function sourceProfiles(env: Env = process.env): unknown {
  const file = env[SOURCES_FILE]?.trim();
  if (!file) return bundledProfiles;
  try {
    return JSON.parse(readFileSync(path.resolve(file), 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${SOURCES_FILE} ${file} cannot be read as JSON: ${reason}`, {
      cause: error,
    });
  }
}
