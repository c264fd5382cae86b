import { loadTimeoutSettings, TIMEOUT_SETTINGS } from '../../shared/clients/options';
import { optionalString } from '../../shared/config';
import { type PreflightInput, type SecretSeed, settingProblems } from '../../shared/preflight';
import { loadSourceCatalog, type Source } from '../../shared/sources/catalog';
import {
  BUNDLED_SOURCES_FILE,
  SOURCES_FILE,
  sourceProfiles,
  sourcesFileName,
} from '../../shared/sources/profiles';
import { ingestSettings, loadIngestConfig } from './config';
import { signingSecretProblems } from './signatures/secret-format';
import { htmlPlaceholderProblems } from './template-html';

/** Every variable the ingest function's loaders read: what a local run may override. */
export const settings: readonly string[] = Object.freeze([
  ...ingestSettings,
  ...TIMEOUT_SETTINGS,
  SOURCES_FILE,
]);

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Takes a broken template's place while the sources that route to it are checked. */
const STAND_IN_TEMPLATE = { from: 'x', to: 'x', subject: 'x', textBody: 'x' };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The sources of one profile that load, and the mistakes of those that do not. The whole profile is
 * loaded first; only when that fails is each template and then each source loaded on its own, so
 * that every mistake is listed rather than the first. A source is loaded beside a stand-in for each
 * broken template, so that template is reported once, not again for every route to it.
 */
function checkCatalog(profiles: unknown, profile: string, secretsPrefix: string, file: string) {
  // The loader names the bundled file; a catalog read from SOURCES_FILE is named as given.
  const named = (error: unknown) => {
    const text = messageOf(error);
    const bundled = `${BUNDLED_SOURCES_FILE} `;
    return text.startsWith(bundled) ? `${file} ${text.slice(bundled.length)}` : text;
  };
  const load = (chosen: unknown) =>
    loadSourceCatalog({ [profile]: chosen }, profile, secretsPrefix);
  try {
    const catalog = loadSourceCatalog(profiles, profile, secretsPrefix);
    return { sources: [...catalog.sources.values()], problems: [] };
  } catch (error) {
    const chosen = isObject(profiles) ? profiles[profile] : undefined;
    if (!isObject(chosen)) return { sources: [], problems: [named(error)] };
    const problems: string[] = [];
    const templates: Raw = {};
    for (const [name, raw] of Object.entries(
      isObject(chosen.emailTemplates) ? chosen.emailTemplates : {},
    )) {
      try {
        load({ emailTemplates: { [name]: raw } });
        templates[name] = raw;
      } catch (templateError) {
        problems.push(named(templateError));
        templates[name] = STAND_IN_TEMPLATE;
      }
    }
    const sources: Source[] = [];
    for (const [name, raw] of Object.entries(isObject(chosen.sources) ? chosen.sources : {})) {
      try {
        sources.push(
          ...load({ sources: { [name]: raw }, emailTemplates: templates }).sources.values(),
        );
      } catch (sourceError) {
        problems.push(named(sourceError));
      }
    }
    return { sources, problems };
  }
}

/**
 * Each email template of the profile whose `htmlBody` puts a placeholder where HTML escaping cannot
 * make a value safe (inside <script>, an on* handler, an unquoted attribute…), one problem each,
 * naming the file, the template and the placeholder.
 */
export function templateHtmlProblems(profiles: unknown, profile: string, file: string): string[] {
  const chosen = isObject(profiles) ? profiles[profile] : undefined;
  const templates =
    isObject(chosen) && isObject(chosen.emailTemplates) ? chosen.emailTemplates : {};
  return Object.entries(templates).flatMap(([name, raw]) => {
    const html = isObject(raw) ? raw.htmlBody : undefined;
    if (typeof html !== 'string') return [];
    return htmlPlaceholderProblems(html).map(
      (problem) => `${file} email template "${name}" htmlBody: ${problem}`,
    );
  });
}

/** Each source's signing secret as the seed holds it: present, JSON, in the scheme's format. */
function checkSecrets(sources: readonly Source[], seed: SecretSeed): string[] {
  const problems: string[] = [];
  for (const source of sources) {
    const where = `${seed.file} secret "${source.secretName}" (source "${source.name}")`;
    const stored = seed.values[source.secretName];
    if (stored === undefined) {
      problems.push(`${where} is missing`);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(stored);
    } catch {
      problems.push(`${where} must be JSON {"current": "..."}`);
      continue;
    }
    for (const problem of signingSecretProblems(source.scheme, value)) {
      problems.push(`${where}: ${problem}`);
    }
  }
  return problems;
}

/**
 * Checks, with the loaders the handler runs at cold start, everything that would make the ingest
 * function fail to start or refuse every request: its settings, the sources profile with its email
 * templates, and each source's signing secret in the seed.
 */
export function preflight({ env, secrets }: PreflightInput): string[] {
  const problems = [
    ...settingProblems(loadIngestConfig, env, ingestSettings),
    ...settingProblems(loadTimeoutSettings, env, TIMEOUT_SETTINGS),
  ];
  let profiles: unknown;
  try {
    profiles = sourceProfiles(env);
  } catch (error) {
    return [...problems, messageOf(error)];
  }
  const profile = optionalString(env, 'SOURCES_PROFILE', 'default');
  const secretsPrefix = env.SECRETS_PREFIX?.trim() ?? '';
  const catalog = checkCatalog(profiles, profile, secretsPrefix, sourcesFileName(env));
  problems.push(...catalog.problems);
  problems.push(...templateHtmlProblems(profiles, profile, sourcesFileName(env)));
  // Without a prefix (already reported) the secret names would be guesses.
  if (secretsPrefix) problems.push(...checkSecrets(catalog.sources, secrets));
  return problems;
}
