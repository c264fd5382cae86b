import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientOptions } from './options';

/** One Secrets Manager client per container, with bounded connect and request timeouts. */
export const secretsManagerClient = new SecretsManagerClient({ ...clientOptions });
