import { type PreflightInput, settingProblems } from '../../shared/preflight';
import {
  loadWorkflowRegistry,
  WORKFLOWS_FILE,
  workflowProfiles,
} from '../../shared/workflow/registry';
import { loadWorkflowApiConfig, WORKFLOW_API_SETTINGS } from './config';

/** Every variable the API's loaders read: what a local run may override. */
export const settings: readonly string[] = Object.freeze([
  ...WORKFLOW_API_SETTINGS,
  WORKFLOWS_FILE,
]);

/** Whether the seed holds `name` as `{"current": "<non-empty>", ...}`. */
function hasCurrentKey(values: Readonly<Record<string, string>>, name: string): boolean {
  try {
    const current = JSON.parse(values[name] ?? 'null')?.current;
    return typeof current === 'string' && current !== '';
  } catch {
    return false;
  }
}

/**
 * The API's start-up check: its settings, the workflow registry of its profile, and the API key in
 * the seed (without one every call would be a 401).
 */
export function preflight({ env, secrets }: PreflightInput): string[] {
  const problems = settingProblems(loadWorkflowApiConfig, env, WORKFLOW_API_SETTINGS);
  try {
    loadWorkflowRegistry(workflowProfiles(env), env.WORKFLOWS_PROFILE?.trim() || 'default');
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  const prefix = env.SECRETS_PREFIX?.trim();
  const name = `${prefix}/api-keys/workflows`;
  if (prefix && !hasCurrentKey(secrets.values, name)) {
    problems.push(
      `${secrets.file} has no secret "${name}" with a "current" key: every POST /workflows/{name} would be a 401`,
    );
  }
  return problems;
}
