import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CheckResult } from '../health';
import { type Check, resultOf } from './check';

const DAY_MS = 86_400_000;

/**
 * `secret:age`: each secret is present, with the days since it was last rotated (else last changed);
 * `warn` past `maxAgeDays`. Checked with DescribeSecret, never read. `critical` secrets (the signing
 * secrets ingest needs) fail the answer when missing or unreachable; the others only warn. The output
 * never names the secret: the component id does, and only callers with the status key see it.
 */
export function secretAgeCheck(
  secretsManager: SecretsManagerClient,
  names: readonly string[],
  options: { maxAgeDays: number; critical: boolean; key?: string },
): Check {
  const check = {
    key: options.key ?? 'secret:age',
    componentType: 'component',
    componentIds: names,
    critical: options.critical,
  };
  const missing: CheckResult['status'] = options.critical ? 'fail' : 'warn';
  const probe = async (name: string, signal: AbortSignal, now: () => number) => {
    try {
      const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: name }), {
        abortSignal: signal,
      });
      if (described.DeletedDate) {
        return resultOf(check, name, now, {
          status: missing,
          output: 'secret is scheduled for deletion',
        });
      }
      const changed =
        described.LastRotatedDate ?? described.LastChangedDate ?? described.CreatedDate;
      const days = changed ? Math.floor((now() - changed.getTime()) / DAY_MS) : 0;
      const old = days > options.maxAgeDays;
      return resultOf(check, name, now, {
        status: old ? 'warn' : 'pass',
        observedValue: days,
        observedUnit: 'd',
        ...(old ? { output: `not rotated for more than ${options.maxAgeDays} days` } : {}),
      });
    } catch (error) {
      const output =
        error instanceof ResourceNotFoundException
          ? 'secret is missing'
          : 'secret store unreachable';
      return resultOf(check, name, now, { status: missing, output });
    }
  };
  return {
    ...check,
    run: ({ signal, now }) =>
      Promise.all(names.map((name): Promise<CheckResult> => probe(name, signal, now))),
  };
}
