import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { makeTelemetry } from '../../functions/email-batcher/telemetry';
import { makeTriggerTelemetry } from '../../shared/workflow/telemetry';

/** One metric as CloudWatch receives it from an EMF line: namespace, name and dimensions. */
export interface EmittedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

/** The metrics of the EMF lines in `output`. */
function parseEmf(output: string): EmittedMetric[] {
  const found: EmittedMetric[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const emf = JSON.parse(line) as Record<string, unknown> & {
      _aws?: {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string }[];
        }[];
      };
    };
    for (const directive of emf._aws?.CloudWatchMetrics ?? []) {
      const names = directive.Dimensions.flat();
      const dimensions = Object.fromEntries(names.map((name) => [name, String(emf[name])]));
      for (const metric of directive.Metrics) {
        found.push({ namespace: directive.Namespace, name: metric.Name, dimensions });
      }
    }
  }
  return found;
}

/**
 * Drives each consumer's telemetry through every report it makes, with real Powertools Metrics set up
 * as the handlers set them up, and returns what they print as EMF: the metrics CloudWatch would get.
 */
export function emittedMetrics(): EmittedMetric[] {
  const logger = new Logger({ logLevel: 'SILENT' });
  let output = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    const triggerMetrics = new Metrics({
      namespace: 'ConnectorSuite',
      serviceName: 'workflow-trigger',
    });
    const trigger = makeTriggerTelemetry(logger, triggerMetrics);
    const line = { jobId: 'j', correlationId: 'c' };
    for (const outcome of [
      'triggered',
      'duplicate',
      'retried',
      'deferred',
      'dead-lettered',
    ] as const) {
      trigger.job({ ...line, outcome });
    }
    trigger.ambiguous('j', 'c');
    trigger.engineCall({ ...line, attempt: 1, result: 'triggered', status: 200, latencyMs: 5 });
    trigger.refused(401);
    trigger.breakerReading(true);
    for (const to of ['open', 'half-open', 'closed'] as const) trigger.breaker({ to, reason: 'r' });
    triggerMetrics.publishStoredMetrics();

    const emailMetrics = new Metrics({ namespace: 'ConnectorSuite', serviceName: 'email-batcher' });
    const batcher = makeTelemetry(logger, emailMetrics);
    for (const outcome of ['sent', 'duplicate', 'retried', 'deferred', 'dead-lettered'] as const) {
      batcher.job({ ...line, outcome, ...(outcome === 'dead-lettered' ? { errorCode: 406 } : {}) });
    }
    batcher.ambiguous('j', 'c');
    for (const verdict of [
      'found',
      'resent-after-empty-search',
      'double-confirmed',
      'resent-without-search',
      'unreconciled',
    ] as const) {
      batcher.reconciled({ ...line, verdict, calls: ['call-1'] });
    }
    batcher.searched({ callRef: 'call-1', latencyMs: 5, result: 'listed', listed: 1 });
    batcher.providerCall({
      latencyMs: 5,
      messages: 1,
      result: 'results',
      jobIds: ['j'],
      correlationIds: ['c'],
    });
    batcher.paused('401', 10);
    emailMetrics.publishStoredMetrics();
  } finally {
    process.stdout.write = write;
  }
  return parseEmf(output);
}
