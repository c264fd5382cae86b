import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { recordCalls } from './call-recorder';
import { bindToDeadline } from './deadline';
import { clientOptions } from './options';

/**
 * One Secrets Manager client per container: each attempt fails at its own timeout, and every call honours
 * the current invocation's deadline.
 */
export const secretsManagerClient = bindToDeadline(
  recordCalls(new SecretsManagerClient({ ...clientOptions }), 'secretsmanager'),
);
