import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import bundledProfiles from '../../config/workflows.json';
import { ConfigError } from '../errors';

/** The variable that points the registry at another file (local runs and tests only). */
export const WORKFLOWS_FILE = 'WORKFLOWS_FILE';

type Env = Readonly<Record<string, string | undefined>>;

/** Workflow names as routes use them (`workflow:<name>`). */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** A path on the engine: relative, no `..`, no query (the registry's paths start with `webhook/`). */
const ENGINE_PATH = /^[A-Za-z0-9][A-Za-z0-9._~/-]{0,199}$/;

const profileSchema = z.strictObject({
  workflows: z.record(
    z.string().regex(NAME, 'a workflow name is lowercase letters, digits, ".", "_" or "-"'),
    z
      .string()
      .regex(ENGINE_PATH, 'a path on the engine such as "webhook/campaign-send-v2"')
      .refine((value) => !value.split('/').includes('..'), 'a path must not contain ".."'),
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

/** The workflows that routes of a sources profile name (`workflow:<name>`) but the registry lacks. */
export function missingWorkflows(registry: WorkflowRegistry, routeTargets: readonly string[]) {
  return routeTargets
    .filter((to) => to.startsWith('workflow:'))
    .map((to) => to.slice('workflow:'.length))
    .filter((name, index, all) => !registry.has(name) && all.indexOf(name) === index);
}
