import { type PreflightInput, seedSecretProblems, settingProblems } from '../../shared/preflight';
import { SOURCES_FILE, sourceProfiles, sourcesFileName } from '../../shared/sources/profiles';
import {
  loadWorkflowRegistry,
  unregisteredWorkflowRoutes,
  WORKFLOWS_FILE,
  workflowProfiles,
  workflowsFileName,
} from '../../shared/workflow/registry';
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
 * `workflow:<name>` route of the sources profile registered (a route to an unknown workflow would
 * dead-letter every job it makes), and the engine token in the seed.
 */
export function preflight({ env, secrets }: PreflightInput): string[] {
  const problems = settingProblems(loadWorkflowTriggerConfig, env, WORKFLOW_TRIGGER_SETTINGS);
  const profile = env.WORKFLOWS_PROFILE?.trim() || 'default';
  try {
    const registry = loadWorkflowRegistry(workflowProfiles(env), profile);
    problems.push(
      ...unregisteredWorkflowRoutes(sourceProfiles(env), registry, {
        sourcesFile: sourcesFileName(env),
        sourcesProfile: env.SOURCES_PROFILE?.trim() || 'default',
        workflowsFile: workflowsFileName(env),
        workflowsProfile: profile,
      }),
    );
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
