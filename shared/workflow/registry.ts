import { readFileSync } from 'node:fs';
import path from 'node:path';
import bundledProfiles from '../../config/workflows.json';
import { ConfigError } from '../errors';
import * as z from '../validation/zod';

/** The variable that points the registry at another file (local runs and tests only). */
export const WORKFLOWS_FILE = 'WORKFLOWS_FILE';

/** Where the bundled registry comes from, as messages name it. */
export const BUNDLED_WORKFLOWS_FILE = 'config/workflows.json';

/** The file the registry is read from: `WORKFLOWS_FILE` as given, else the bundled one. */
export function workflowsFileName(env: Env): string {
  return env[WORKFLOWS_FILE]?.trim() || BUNDLED_WORKFLOWS_FILE;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Workflow names as routes use them (`workflow:<name>`). */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** A path on the engine: relative, no `..`, no query (the registry's paths start with `webhook/`). */
const ENGINE_PATH = /^[A-Za-z0-9][A-Za-z0-9._~/-]{0,199}$/;

const profileSchema = z.strictObject({
  workflows: z.record(
    z
      .string()
      .check(z.regex(NAME, 'a workflow name is lowercase letters, digits, ".", "_" or "-"')),
    z.string().check(
      z.regex(ENGINE_PATH, 'a path on the engine such as "webhook/campaign-send-v2"'),
      z.refine((value) => !value.split('/').includes('..'), 'a path must not contain ".."'),
    ),
  ),
});

/** A name to engine-path map for one profile. */
export type WorkflowRegistry = ReadonlyMap<string, string>;

/** Every profile of the registry: `WORKFLOWS_FILE` when set, else the bundled `config/workflows.json`. */
export function workflowProfiles(env: Env = process.env): unknown {
  const file = env[WORKFLOWS_FILE]?.trim();
  if (!file) return bundledProfiles;
  try {
    return JSON.parse(readFileSync(path.resolve(file), 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${WORKFLOWS_FILE} ${file} cannot be read as JSON: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * The registry of `profile`, validated: a missing profile or a malformed entry fails start-up with a
 * message naming the file, the profile and the workflow.
 */
export function loadWorkflowRegistry(profiles: unknown, profile: string): WorkflowRegistry {
  const where = `config/workflows.json profile "${profile}"`;
  const raw = (profiles as Record<string, unknown> | null)?.[profile];
  if (raw === undefined) throw new ConfigError(`${where} does not exist`);
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(profile)'}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`${where} is invalid: ${issues}`);
  }
  return new Map(Object.entries(parsed.data.workflows));
}

/** Where the sources and the registry come from, as the problems name them. */
export interface RouteCheckPlaces {
  sourcesFile: string;
  sourcesProfile: string;
  workflowsFile: string;
  workflowsProfile: string;
}

/**
 * Every `workflow:<name>` route of a sources profile whose workflow the registry lacks, one problem
 * each naming the source, the route and the workflow. Such a route would accept every event with
 * `202` and dead-letter every job as `unknown-workflow`: a configuration that cannot work, refused at
 * start-up (`npm run dev`, `npm run package`) and by `npm run source -- add`. The sources are read
 * loosely (the ingest's own loader validates them).
 */
export function unregisteredWorkflowRoutes(
  sourceProfiles: unknown,
  registry: WorkflowRegistry,
  places: RouteCheckPlaces,
): string[] {
  type LooseSource = { routes?: { match?: unknown; to?: unknown }[] };
  const profile = (sourceProfiles as Record<string, { sources?: Record<string, LooseSource> }>)?.[
    places.sourcesProfile
  ];
  const problems: string[] = [];
  for (const [source, entry] of Object.entries(profile?.sources ?? {})) {
    const routes = Array.isArray(entry?.routes) ? entry.routes : [];
    routes.forEach((route, index) => {
      const to = typeof route?.to === 'string' ? route.to : '';
      if (!to.startsWith('workflow:')) return;
      const name = to.slice('workflow:'.length);
      if (registry.has(name)) return;
      const known = [...registry.keys()].join(', ') || 'none';
      problems.push(
        `${places.sourcesFile} profile "${places.sourcesProfile}" source "${source}" route ${index} ` +
          `(${JSON.stringify(String(route?.match))} -> ${to}) names workflow "${name}", which ` +
          `${places.workflowsFile} profile "${places.workflowsProfile}" does not register: every job ` +
          `would be dead-lettered as unknown-workflow. Register it (a name to an engine path) or route ` +
          `to a registered workflow (${known}).`,
      );
    });
  }
  return problems;
}
