import { type PreflightInput, seedSecretProblems, settingProblems } from '../../shared/preflight';
import {
  loadWorkflowRegistry,
  WORKFLOWS_FILE,
  workflowProfiles,
} from '../../shared/workflow/registry';
import { SOURCES_FILE } from '../webhook-ingest/source-profiles';
import { loadWorkflowTriggerConfig, WORKFLOW_TRIGGER_SETTINGS } from './config';

/** Every variable the trigger's loaders read: what a local run may override. */
export const settings: readonly string[] = Object.freeze([
  ...WORKFLOW_TRIGGER_SETTINGS,
  WORKFLOWS_FILE,
  SOURCES_FILE,
  'SOURCES_PROFILE',
]);

/**
 * The trigger's start-up check: its settings, the workflow registry of its profile, every
 * `workflow:<name>` route of the sources profile registered, and the engine token in the seed.
 */
export function preflight({ env, secrets }: PreflightInput): string[] {
  const problems = settingProblems(loadWorkflowTriggerConfig, env, WORKFLOW_TRIGGER_SETTINGS);
  const profile = env.WORKFLOWS_PROFILE?.trim() || 'default';
  try {
    // A route to a workflow the registry lacks is not a start-up error (`npm run source -- add`
    // creates such routes): its jobs are dead-lettered as `unknown-workflow`, without a call.
    loadWorkflowRegistry(workflowProfiles(env), profile);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  return [
    ...problems,
    ...seedSecretProblems(
      env,
      secrets,
      'providers/workflow',
      'token',
      'the engine would refuse every call',
    ),
  ];
}
