import { type PreflightInput, seedSecretProblems, settingProblems } from '../../shared/preflight';
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
  return [
    ...problems,
    ...seedSecretProblems(
      env,
      secrets,
      'api-keys/workflows',
      'current',
      'every POST /workflows/{name} would be a 401',
    ),
  ];
}
