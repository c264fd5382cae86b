import { recordCalls } from '../../../shared/clients/call-recorder';
import { localStack, queueUrl } from './local-stack';

type Client = { middlewareStack: object };

/**
 * Records the calls a function makes when a test runs its wiring in the jest process (issue 21): the
 * clients handed to `build*` go through the same recorder as the deployed handlers' clients, under the
 * function's name. A harness's own resources (its queues, its secret prefix) are renamed to the names
 * the function has in the stack, so the recording says which stack resource the call stands for.
 * Clients a test uses for itself (creating queues, reading results, the event source that plays
 * Lambda) are never recorded: those calls are not the function's.
 */
export function recordedFor<C extends Client>(
  functionKey: string,
  service: 'sqs' | 'dynamodb' | 'secretsmanager',
  client: C,
  stands: () => Record<string, string> = () => ({}),
): C {
  return recordCalls(client, service, process.env, {
    functionName: functionKey,
    rename: (resource) => renameTo(resource, stands()),
  });
}

/** `resource` with the first matching key of `stands` (a whole name or a prefix) replaced. */
function renameTo(resource: string, stands: Record<string, string>): string {
  for (const [own, stack] of Object.entries(stands)) {
    if (own !== '' && (resource === own || resource.startsWith(own))) {
      return stack + resource.slice(own.length);
    }
  }
  return resource;
}

/** What a harness's queue stands for: `{ [harnessUrl]: stackUrl }` for each pair that is set. */
export function queuesStandFor(pairs: Array<[harnessUrl: string, stackQueue: string]>) {
  return Object.fromEntries(
    pairs.filter(([url]) => url !== '').map(([url, key]) => [url, queueUrl(key)]),
  );
}

/** The secrets prefix of the local stage, which a harness's own prefix stands for. */
export function stackSecretsPrefix(): string {
  return `connector-suite/${localStack().stage}`;
}
