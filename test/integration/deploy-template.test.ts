import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { emittedMetrics } from '../helpers/emitted-metrics';
import { type CfnSpec, loadCfnSpec, validateTemplateSchema } from '../helpers/template/cfn-schema';
import {
  iamViolations,
  keptGrants,
  type RecordedCall,
  rolePolicies,
  withoutStatement,
} from '../helpers/template/iam-proof';
import {
  type CfnTemplate,
  deadLetterQueueIds,
  deployTemplateRules,
} from '../helpers/template/template-rules';

const run = promisify(execFile);
const repoRoot = resolve(__dirname, '..', '..');
const PACKAGE_TIMEOUT_MS = 120_000;

/**
 * Packaging runs on a copy of the working tree: serverless-esbuild builds into `.esbuild/` and deletes
 * that folder when it is done, which would pull the code out from under a serverless offline started
 * from the repo (the local stack of this same test run). The copy is of the real files, not a stub.
 */
const notCopied = new Set([
  'node_modules',
  '.git',
  '.esbuild',
  '.serverless',
  'coverage',
  '.local-state',
]);

function copyService(destination: string): void {
  cpSync(repoRoot, destination, {
    recursive: true,
    filter: (source) => {
      const top = relative(repoRoot, source).split(sep)[0] ?? '';
      return !notCopied.has(top);
    },
  });
  symlinkSync(join(repoRoot, 'node_modules'), join(destination, 'node_modules'), 'dir');
}

/** The environment for an offline package: dummy credentials, no profile, no local endpoints. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  for (const name of Object.keys(env)) {
    if (
      name === 'AWS_PROFILE' ||
      name === 'AWS_SESSION_TOKEN' ||
      name.startsWith('AWS_ENDPOINT_URL')
    ) {
      delete env[name];
    }
  }
  return env;
}

describe('deploy template (serverless package --stage prod)', () => {
  let workDir: string;
  let template: CfnTemplate & { Outputs?: Record<string, unknown> };
  let spec: CfnSpec;

  const resourcesOfType = (type: string) =>
    Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'connector-suite-template-'));
    const serviceDir = join(workDir, 'service');
    const outDir = join(workDir, 'package');
    copyService(serviceDir);

    try {
      await run(
        join(serviceDir, 'node_modules', '.bin', 'serverless'),
        ['package', '--stage', 'prod', '--package', outDir],
        { cwd: serviceDir, env: offlineEnv(), timeout: PACKAGE_TIMEOUT_MS, maxBuffer: 16 << 20 },
      );
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`serverless package failed:\n${stdout}\n${stderr}`, { cause: error });
    }
    const file = join(outDir, 'cloudformation-template-update-stack.json');
    template = JSON.parse(readFileSync(file, 'utf8'));
    spec = loadCfnSpec();
  }, PACKAGE_TIMEOUT_MS + 30_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('contains the queues, tables, functions and alarms the rules are about', () => {
    const queues = resourcesOfType('AWS::SQS::Queue').map(([id]) => id);

    expect(queues.sort()).toEqual([
      'EmailJobsDlq',
      'EmailJobsQueue',
      'WorkflowJobsDlq',
      'WorkflowJobsQueue',
    ]);
    expect([...deadLetterQueueIds(template)].sort()).toEqual(['EmailJobsDlq', 'WorkflowJobsDlq']);
    expect(
      resourcesOfType('AWS::DynamoDB::Table')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['IdempotencyTable', 'StateTable']);
    expect(resourcesOfType('AWS::Lambda::Function').length).toBeGreaterThan(0);
    expect(resourcesOfType('AWS::Logs::LogGroup').length).toBeGreaterThan(0);
    expect(resourcesOfType('AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(2);
  });

  it('exports the queue URLs and the alarm topic for users to wire up', () => {
    expect(Object.keys(template.Outputs ?? {})).toEqual(
      expect.arrayContaining(['EmailJobsQueueUrl', 'WorkflowJobsQueueUrl', 'AlarmTopicArn']),
    );
  });

  it("matches CloudFormation's resource specification (types, properties, references)", () => {
    expect(validateTemplateSchema(template, spec)).toEqual([]);
  });

  /** The alarms' metric, namespace and dimensions (values as written in the template). */
  const alarms = () =>
    resourcesOfType('AWS::CloudWatch::Alarm').map(([id, resource]) => {
      const properties = resource.Properties as {
        Namespace: string;
        MetricName: string;
        Dimensions?: { Name: string; Value: unknown }[];
      };
      const dimensions = Object.fromEntries(
        (properties.Dimensions ?? []).map((d) => [d.Name, JSON.stringify(d.Value)]),
      );
      return { id, namespace: properties.Namespace, metric: properties.MetricName, dimensions };
    });

  it("alarms on each job queue's oldest message and on each queue consumer's Errors", () => {
    const dlqs = deadLetterQueueIds(template);
    const jobQueues = resourcesOfType('AWS::SQS::Queue')
      .map(([id]) => id)
      .filter((id) => !dlqs.has(id));
    const consumers = resourcesOfType('AWS::Lambda::EventSourceMapping').map(
      ([, mapping]) =>
        (mapping.Properties as { FunctionName: { 'Fn::GetAtt': string[] } }).FunctionName[
          'Fn::GetAtt'
        ][0],
    );
    const watched = alarms();

    expect(jobQueues.length).toBeGreaterThan(0);
    expect(consumers.length).toBeGreaterThan(0);
    for (const queue of jobQueues) {
      expect(watched).toContainEqual(
        expect.objectContaining({
          metric: 'ApproximateAgeOfOldestMessage',
          dimensions: { QueueName: JSON.stringify({ 'Fn::GetAtt': [queue, 'QueueName'] }) },
        }),
      );
    }
    for (const consumer of consumers) {
      expect(watched).toContainEqual(
        expect.objectContaining({
          namespace: 'AWS/Lambda',
          metric: 'Errors',
          dimensions: { FunctionName: JSON.stringify({ Ref: consumer }) },
        }),
      );
    }
  });

  it('alarms only on ConnectorSuite metrics the consumers really emit, with the same dimensions', () => {
    const emitted = emittedMetrics().map(
      (m) => `${m.namespace}/${m.name} ${JSON.stringify(m.dimensions)}`,
    );
    const ours = alarms().filter(
      (alarm) =>
        alarm.namespace === 'ConnectorSuite' &&
        // The health probe's HealthFail is published by its own run (test/unit/functions/health-probe).
        alarm.dimensions.service !== JSON.stringify('health-probe'),
    );

    expect(ours.map((alarm) => alarm.metric).sort()).toEqual([
      'BreakerOpen',
      'BreakerOpened',
      'EmailAmbiguous',
      'EmailDoubleConfirmed',
      'EmailResentAfterEmptySearch',
      'ProviderPaused',
      'WorkflowAmbiguous',
      'WorkflowEngineRefused',
    ]);
    for (const alarm of ours) {
      const dimensions = Object.fromEntries(
        Object.entries(alarm.dimensions).map(([name, value]) => [name, JSON.parse(value)]),
      );
      expect(emitted).toContain(`ConnectorSuite/${alarm.metric} ${JSON.stringify(dimensions)}`);
    }
  });

  it.each(Object.entries(deployTemplateRules))('%s', (_, rule) => {
    expect(rule(template)).toEqual([]);
  });

  describe("each role against its function's calls (issue 21)", () => {
    // The calls the functions made in the integration and end-to-end runs (refreshed by each run's
    // teardown, test/setup/aws-calls.js), and the grants resources/iam.yml keeps without a call.
    const recorded: RecordedCall[] = JSON.parse(
      readFileSync(join(repoRoot, 'test', 'fixtures', 'aws-calls.json'), 'utf8'),
    );
    const kept = keptGrants(readFileSync(join(repoRoot, 'resources', 'iam.yml'), 'utf8'));
    const stage = { service: 'connector-suite', stage: 'prod' };

    it('has a recording of every function of the template', () => {
      const functions = resourcesOfType('AWS::Lambda::Function').map(([, fn]) =>
        String((fn.Properties as { FunctionName: string }).FunctionName).replace(
          'connector-suite-prod-',
          '',
        ),
      );
      const withCalls = new Set(recorded.map((call) => call.function));
      expect(functions.filter((fn) => !withCalls.has(fn))).toEqual([]);
    });

    it('allows every recorded and expected call, and grants nothing no call needs', async () => {
      expect(await iamViolations(template, recorded, kept, stage)).toEqual([]);
    });

    it('fails when any one statement of any role is removed', async () => {
      const statements = [...rolePolicies(template)].flatMap(([role, list]) =>
        list.map((statement) => ({ role, sid: statement.sid })),
      );
      const unnoticed: string[] = [];
      for (const { role, sid } of statements) {
        const violations = await iamViolations(
          withoutStatement(template, role, sid),
          recorded,
          kept,
          stage,
        );
        if (violations.length === 0) unnoticed.push(`${role} ${sid}`);
      }
      expect(statements.length).toBeGreaterThan(0);
      expect(unnoticed).toEqual([]);
    });
  });
});
