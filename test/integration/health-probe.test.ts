import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { URL } from 'node:url';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  CHECK_TIMEOUT_MS,
  HEALTH_BUDGET_MS,
  healthBody,
  healthHarness,
  keysWithStatus,
} from '../helpers/health/health-harness';
import { localStack } from '../helpers/stack/local-stack';
import { TcpProxy } from '../helpers/stack/tcp-proxy';

jest.setTimeout(30_000);

/** A stand-in provider on loopback: answers 200, or holds every request without answering. */
async function providerServer(mode: 'up' | 'hang') {
  const server: Server = createServer((_req, res) => {
    if (mode === 'up') res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL nothing listens on: a provider that is down. */
async function downUrl() {
  const server = await providerServer('up');
  await server.close();
  return server.url;
}

const proxyTo = (endpoint: string) => {
  const url = new URL(endpoint);
  return new TcpProxy(url.hostname, Number(url.port));
};

describe('health probe, all dependencies up', () => {
  let harness: Awaited<ReturnType<typeof healthHarness>>;
  let email: Awaited<ReturnType<typeof providerServer>>;
  let workflow: Awaited<ReturnType<typeof providerServer>>;

  beforeAll(async () => {
    [email, workflow] = await Promise.all([providerServer('up'), providerServer('up')]);
    harness = await healthHarness({
      env: { EMAIL_API_URL: email.url, WORKFLOW_API_URL: workflow.url },
    });
  });
  afterAll(async () => {
    await harness.close();
    await Promise.all([email.close(), workflow.close()]);
  });

  it('answers 200 health+json with every expected check and its value', async () => {
    await harness.probe();

    const response = await harness.health();
    const body = healthBody(response);

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/health+json');
    expect(response.headers?.['cache-control']).toBe('no-store');
    expect(['pass', 'warn']).toContain(body.status);
    expect(Object.keys(body.checks).sort()).toEqual([
      'ceiling:utilization',
      'dlq:depth',
      'dynamodb:readLatency',
      'email:responseTime',
      'probe:lastRun',
      'queue:depth',
      'secret:age',
      'workflow:responseTime',
    ]);
    for (const [key, entries] of Object.entries(body.checks)) {
      for (const entry of entries) {
        expect({ key, status: entry.status, hasValue: entry.observedValue !== undefined }).toEqual({
          key,
          status: 'pass',
          hasValue: true,
        });
      }
    }
    expect(body.checks['queue:depth']?.map((e) => e.componentId)).toEqual([
      harness.queues.emailJobs.split('/').at(-1),
      harness.queues.workflowJobs.split('/').at(-1),
    ]);
  });

  it('stores each scheduled run with a TTL and logs a state change once, not every run', async () => {
    const logged = [
      jest.spyOn(harness.logger, 'info'),
      jest.spyOn(harness.logger, 'warn'),
      jest.spyOn(harness.logger, 'error'),
    ];
    const changes = () =>
      logged.flatMap((spy) => spy.mock.calls).filter(([m]) => m === 'health state changed');

    await harness.probe();
    await harness.probe();
    const unchanged = changes().length;
    await harness.sqs.send(
      new SendMessageCommand({ QueueUrl: harness.queues.workflowJobsDlq, MessageBody: '{}' }),
    );
    await harness.probe();
    const latest = await harness.history.latest();
    const { Item } = await harness.readClient.send(
      new GetItemCommand({
        TableName: harness.tableName,
        Key: { pk: { S: harness.partition }, sk: { S: latest?.time ?? '' } },
      }),
    );

    expect(unchanged).toBe(0);
    expect(changes()).toEqual([
      ['health state changed', expect.objectContaining({ from: 'pass', to: 'warn' })],
    ]);
    expect(latest?.status).toBe('warn');
    const ttl = Number(Item?.expiresAt?.N) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(7 * 86_400 - 60);
    expect(ttl).toBeLessThanOrEqual(7 * 86_400);
    expect(harness.metrics.addMetric).toHaveBeenCalledWith('DeadLetters', 'Count', 1);
  });
});

describe('health probe, a message in a DLQ', () => {
  it('answers warn with 200 and the dead letter counted', async () => {
    const harness = await healthHarness();
    try {
      await harness.sqs.send(
        new SendMessageCommand({ QueueUrl: harness.queues.emailJobsDlq, MessageBody: '{}' }),
      );
      await harness.probe();

      const response = await harness.health();
      const body = healthBody(response);

      expect(response.statusCode).toBe(200);
      expect(body.status).toBe('warn');
      expect(keysWithStatus(body, 'warn')).toEqual(['dlq:depth']);
      expect(body.checks['dlq:depth']?.find((e) => e.status === 'warn')?.observedValue).toBe(1);
    } finally {
      await harness.close();
    }
  });
});

describe('health probe, a provider down or hanging', () => {
  it.each([
    ['the email provider is down', 'EMAIL_API_URL', 'email:responseTime', 'down'],
    ['the workflow engine is down', 'WORKFLOW_API_URL', 'workflow:responseTime', 'down'],
    ['the email provider hangs', 'EMAIL_API_URL', 'email:responseTime', 'hang'],
  ] as const)('answers warn with 200 when %s', async (_name, variable, key, mode) => {
    const hanging = mode === 'hang' ? await providerServer('hang') : undefined;
    const harness = await healthHarness({ env: { [variable]: hanging?.url ?? (await downUrl()) } });
    try {
      const started = Date.now();
      await harness.probe();
      const probeMs = Date.now() - started;
      const response = await harness.health();
      const body = healthBody(response);

      expect(response.statusCode).toBe(200);
      expect(body.status).toBe('warn');
      expect(keysWithStatus(body, 'warn')).toEqual([key]);
      expect(body.checks[key]?.[0]?.output).toBe(
        mode === 'hang' ? `no answer within ${CHECK_TIMEOUT_MS} ms` : 'provider unreachable',
      );
      expect(probeMs).toBeLessThan(HEALTH_BUDGET_MS + 1000);
    } finally {
      await harness.close();
      await hanging?.close();
    }
  });
});

describe('health probe, an ingest dependency down', () => {
  const state = localStack();
  const sqsProxy = proxyTo(state.sqs);
  const secretsProxy = proxyTo(state.secretsManager);
  let harness: Awaited<ReturnType<typeof healthHarness>>;

  beforeAll(async () => {
    await Promise.all([sqsProxy.start(), secretsProxy.start()]);
    harness = await healthHarness({ sqsEndpoint: sqsProxy.url, secretsEndpoint: secretsProxy.url });
    await harness.probe();
  });
  afterAll(async () => {
    await harness.close();
    await Promise.all([sqsProxy.stop(), secretsProxy.stop()]);
  });

  /** DynamoDB Local frozen with SIGSTOP: connections open, nothing ever answers. */
  const dynamoDb = {
    down: async () => process.kill(state.dynamoDbPid, 'SIGSTOP'),
    up: async () => process.kill(state.dynamoDbPid, 'SIGCONT'),
  };
  const hanging = (proxy: TcpProxy) => ({
    down: async () => proxy.hang(),
    up: async () => proxy.resume(),
  });
  const refusing = (proxy: TcpProxy) => ({ down: () => proxy.cut(), up: () => proxy.restore() });

  it('keeps every check of the all-up answer while DynamoDB is frozen, the others passing', async () => {
    const entries = (body: ReturnType<typeof healthBody>) =>
      Object.entries(body.checks)
        .flatMap(([key, list]) => list.map((e) => `${key} ${e.componentId}`))
        .sort();
    const allUp = healthBody(await harness.health());
    // History unreadable while frozen: the scheduled-only checks must be measured, not dropped.
    await dynamoDb.down();
    let frozen: ReturnType<typeof healthBody>;
    try {
      frozen = healthBody(await harness.health());
    } finally {
      await dynamoDb.up();
    }

    expect(entries(frozen)).toEqual(entries(allUp));
    for (const key of ['queue:depth', 'dlq:depth', 'secret:age']) {
      expect(frozen.checks[key]?.map((e) => e.status)).toEqual(
        allUp.checks[key]?.map(() => 'pass'),
      );
    }
    expect(frozen.checks['probe:lastRun']?.[0]?.output).toBe('history unavailable');
  });

  it.each([
    [
      'DynamoDB frozen',
      dynamoDb,
      'dynamodb:readLatency',
      `no answer within ${CHECK_TIMEOUT_MS} ms`,
    ],
    [
      'SQS not answering',
      hanging(sqsProxy),
      'queue:depth',
      `no answer within ${CHECK_TIMEOUT_MS} ms`,
    ],
    ['SQS refusing connections', refusing(sqsProxy), 'queue:depth', 'queue unreachable'],
    [
      'Secrets Manager not answering',
      hanging(secretsProxy),
      'secret:age',
      `no answer within ${CHECK_TIMEOUT_MS} ms`,
    ],
    [
      'Secrets Manager refusing connections',
      refusing(secretsProxy),
      'secret:age',
      'secret store unreachable',
    ],
  ])(
    'fails only its check with 503 within the budget when %s',
    async (_name, dependency, key, output) => {
      await dependency.down();
      const started = Date.now();
      let response: Awaited<ReturnType<typeof harness.health>>;
      try {
        response = await harness.health();
      } finally {
        await dependency.up();
      }
      const elapsed = Date.now() - started;
      const body = healthBody(response);

      expect(response.statusCode).toBe(503);
      expect(body.status).toBe('fail');
      expect(keysWithStatus(body, 'fail')).toEqual([key]);
      expect(body.checks[key]?.every((e) => e.status === 'fail' && e.output === output)).toBe(true);
      expect(elapsed).toBeLessThan(HEALTH_BUDGET_MS);
    },
  );
});

describe('health probe, DynamoDB frozen and the providers hanging', () => {
  const state = localStack();

  it('keeps every check of the all-up answer, each affected one saying why', async () => {
    let hang = false;
    const held: Server = createServer((_req, res) => {
      if (!hang) res.end('ok');
    });
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(held.address() as AddressInfo).port}`;
    const harness = await healthHarness({ env: { EMAIL_API_URL: url, WORKFLOW_API_URL: url } });
    const entries = (body: ReturnType<typeof healthBody>) =>
      Object.entries(body.checks)
        .flatMap(([key, list]) => list.map((e) => `${key} ${e.componentId}`))
        .sort();
    try {
      const allUp = healthBody(await harness.health());
      hang = true;
      process.kill(state.dynamoDbPid, 'SIGSTOP');
      let frozen: ReturnType<typeof healthBody>;
      try {
        frozen = healthBody(await harness.health());
      } finally {
        process.kill(state.dynamoDbPid, 'SIGCONT');
      }

      expect(entries(frozen)).toEqual(entries(allUp));
      for (const key of ['email:responseTime', 'workflow:responseTime']) {
        expect(frozen.checks[key]?.[0]?.output).toBe(`no answer within ${CHECK_TIMEOUT_MS} ms`);
      }
      for (const key of ['queue:depth', 'dlq:depth', 'secret:age']) {
        expect(frozen.checks[key]?.every((e) => e.status === 'pass')).toBe(true);
      }
    } finally {
      await harness.close();
      held.closeAllConnections();
      await new Promise<void>((resolve) => held.close(() => resolve()));
    }
  });
});
