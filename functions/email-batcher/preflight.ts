import { type PreflightInput, seedSecretProblems, settingProblems } from '../../shared/preflight';
import { EMAIL_BATCHER_SETTINGS, loadEmailBatcherConfig } from './config';

/** Every variable the batcher's loader reads: what a local run may override. */
export const settings: readonly string[] = EMAIL_BATCHER_SETTINGS;

/**
 * The batcher's start-up check: its settings, and the provider token in the seed (without one every
 * batch would be refused, and the provider paused).
 */
export function preflight({ env, secrets }: PreflightInput): string[] {
  const problems = settingProblems(loadEmailBatcherConfig, env, EMAIL_BATCHER_SETTINGS);
  return [
    ...problems,
    ...seedSecretProblems(
      env,
      secrets,
      'providers/email',
      'token',
      'the provider would refuse every batch',
    ),
  ];
}
