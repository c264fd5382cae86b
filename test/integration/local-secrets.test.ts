import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { localClientOptions, localStack } from '../helpers/stack/local-stack';

// No endpoint here: AWS_ENDPOINT_URL_SECRETS_MANAGER (set from the running stack) must be enough,
// exactly as for the handlers.
const client = new SecretsManagerClient(localClientOptions());

/** The seed the stack was started with: object values are stored as their JSON text. */
function seededValue(name: string): string {
  const root = path.resolve(__dirname, '../..');
  const file = path.resolve(root, process.env.LOCAL_SECRETS_FILE || 'local/secrets/secrets.json');
  const value = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : JSON.stringify(value);
}

afterAll(() => client.destroy());

describe('local Secrets Manager endpoint', () => {
  const seededName = () => {
    const [name] = localStack().secrets;
    if (!name) throw new Error('local/secrets/secrets.json seeds no secret');
    return name;
  };

  it('answers GetSecretValue for a seeded secret with its value and metadata', async () => {
    const name = seededName();

    const result = await client.send(new GetSecretValueCommand({ SecretId: name }));

    expect(result.Name).toBe(name);
    expect(result.SecretString).toBe(seededValue(name));
    expect(result.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-[0-9a-f]{6}$`),
    );
    expect(result.VersionId).toEqual(expect.any(String));
    expect(result.VersionStages).toEqual(['AWSCURRENT']);
    expect(result.CreatedDate).toBeInstanceOf(Date);
  });

  it('finds a secret by its ARN as well as by its name', async () => {
    const { ARN } = await client.send(new GetSecretValueCommand({ SecretId: seededName() }));

    const byArn = await client.send(new GetSecretValueCommand({ SecretId: ARN }));

    expect(byArn.Name).toBe(seededName());
  });

  it('describes a secret without revealing its value', async () => {
    const name = seededName();

    const result = await client.send(new DescribeSecretCommand({ SecretId: name }));

    expect(result.Name).toBe(name);
    expect(result.ARN).toContain(`:secret:${name}-`);
    expect(Object.values(result.VersionIdsToStages ?? {})).toContainEqual(['AWSCURRENT']);
    expect(JSON.stringify(result)).not.toContain(seededValue(name));
  });

  it('answers ResourceNotFoundException with HTTP 400 for an unknown secret', async () => {
    const attempt = client.send(new GetSecretValueCommand({ SecretId: 'no/such/secret' }));

    await expect(attempt).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    await expect(
      client.send(new DescribeSecretCommand({ SecretId: 'no/such/secret' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('keeps the previous value as AWSPREVIOUS when a new value is put', async () => {
    const name = `test/rotation-${randomUUID()}`;
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'first' }));

    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'second' }));

    const current = await client.send(new GetSecretValueCommand({ SecretId: name }));
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(current.SecretString).toBe('second');
    expect(previous.SecretString).toBe('first');
    await expect(
      client.send(new CreateSecretCommand({ Name: name, SecretString: 'again' })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it('lists secrets filtered by name prefix', async () => {
    const prefix = `test/list-${randomUUID()}/`;
    await client.send(new CreateSecretCommand({ Name: `${prefix}one`, SecretString: '1' }));
    await client.send(new CreateSecretCommand({ Name: `${prefix}two`, SecretString: '2' }));

    const { SecretList = [] } = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }] }),
    );

    expect(SecretList.map((secret) => secret.Name)).toEqual([`${prefix}one`, `${prefix}two`]);
  });
});
