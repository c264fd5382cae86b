import { gatewayError } from '../../../../local/offline/http-errors-plugin';
import { formatRouteReport } from '../../../../local/offline/route-report';
import { invokeUrl, offlineSettings } from '../../../../local/offline/settings';
import { formatStackReport, stackState } from '../../../../local/stack/stack-report';

describe('what serverless offline answers for a failed function', () => {
  it('answers like an HTTP API: 500 for an error, 503 for a timeout', () => {
    expect(gatewayError(true, false)).toEqual({ status: 500, message: 'Internal Server Error' });
    expect(gatewayError(true, true)).toEqual({ status: 503, message: 'Service Unavailable' });
  });

  it('answers like a REST API on `http` routes: 502 for an error, 504 for a timeout', () => {
    expect(gatewayError(false, false)).toEqual({ status: 502, message: 'Internal server error' });
    expect(gatewayError(false, true)).toEqual({
      status: 504,
      message: 'Endpoint request timed out',
    });
  });
});

describe('serverless offline settings', () => {
  const service = { custom: { 'serverless-offline': { host: '127.0.0.1', lambdaPort: '4002' } } };

  it('takes command-line options over custom.serverless-offline over the defaults', () => {
    expect(offlineSettings(service, { lambdaPort: 5002 })).toEqual({
      host: '127.0.0.1',
      httpPort: 3000,
      lambdaPort: 5002,
    });
    expect(offlineSettings(service, {}).lambdaPort).toBe(4002);
    expect(offlineSettings(undefined, {})).toEqual({
      host: 'localhost',
      httpPort: 3000,
      lambdaPort: 3002,
    });
  });

  it('builds the invoke URL from the deployed function name', () => {
    expect(invokeUrl('http://127.0.0.1:3002', 'connector-suite-local-webhook-ingest')).toBe(
      'http://127.0.0.1:3002/2015-03-31/functions/connector-suite-local-webhook-ingest/invocations',
    );
  });
});

describe('the routes block printed at start', () => {
  const report = formatRouteReport({
    httpEndpoint: 'http://127.0.0.1:3000',
    lambdaEndpoint: 'http://127.0.0.1:3002',
    routes: [
      { functionKey: 'webhook-ingest', method: 'POST', path: '/webhooks/{source}' },
      { functionKey: 'catch-all', method: '*', path: '/{default*}' },
    ],
    functions: [
      { key: 'webhook-ingest', name: 'connector-suite-local-webhook-ingest' },
      { key: 'catch-all', name: 'connector-suite-local-catch-all' },
    ],
  });

  it('lists each HTTP route on the HTTP port with its function', () => {
    expect(report).toContain('POST http://127.0.0.1:3000/webhooks/{source}  (λ: webhook-ingest)');
    expect(report).toContain('ANY  http://127.0.0.1:3000/{default*}  (λ: catch-all)');
  });

  it('lists invoke URLs on the Lambda port by deployed name, never on the HTTP port by key', () => {
    expect(report).toContain(
      'POST http://127.0.0.1:3002/2015-03-31/functions/connector-suite-local-webhook-ingest/invocations  (λ: webhook-ingest)',
    );
    expect(report).not.toMatch(/3000\/2015-03-31/);
    expect(report).not.toMatch(/functions\/webhook-ingest\//);
  });
});

describe('the local stack report', () => {
  const stack = {
    topology: { queues: [], tables: [] },
    endpoints: { sqs: 'http://127.0.0.1:9324', dynamodb: 'x', secretsManager: 'y' },
    secretNames: [],
    dynamoDbPid: 2,
  } as unknown as Parameters<typeof stackState>[0]['stack'];
  const state = stackState({
    pid: 1,
    stage: 'local',
    region: 'us-east-1',
    http: 'http://127.0.0.1:3000',
    lambda: 'http://127.0.0.1:3002',
    stack,
    subscriptions: [],
    functions: [{ key: 'webhook-ingest', name: 'connector-suite-local-webhook-ingest' }],
  });

  it('keeps each function name and invoke URL in the state file', () => {
    expect(state.functions).toEqual({
      'webhook-ingest': {
        name: 'connector-suite-local-webhook-ingest',
        invokeUrl:
          'http://127.0.0.1:3002/2015-03-31/functions/connector-suite-local-webhook-ingest/invocations',
      },
    });
  });

  it('prints the invoke URL that works, not just the Lambda API endpoint', () => {
    const report = formatStackReport(state);

    expect(report).toContain(
      '      http://127.0.0.1:3002/2015-03-31/functions/connector-suite-local-webhook-ingest/invocations',
    );
    expect(report).toContain('webhook-ingest: connector-suite-local-webhook-ingest');
  });
});
