import { Logger } from '@aws-lambda-powertools/logger';
import { WRITE_FAILURE_METRICS, writeFailureReporter } from '../../../shared/write-failures';

describe('writeFailureReporter', () => {
  it('counts a failed write under its store and logs the error with its stack and cause', () => {
    const printed: string[] = [];
    const logger = new Logger({ serviceName: 'test', logLevel: 'ERROR' });
    // The logger prints one JSON line per entry through its console.
    jest
      .spyOn((logger as unknown as { console: Console }).console, 'error')
      .mockImplementation((line: string) => {
        printed.push(line);
      });
    const metrics: [string, string, number][] = [];
    const report = writeFailureReporter(logger, {
      addMetric: (name, unit, value) => metrics.push([name, unit, value]),
    });
    const cause = new Error('ProvisionedThroughputExceeded');
    report({
      store: 'ledger',
      step: 'sent',
      jobId: 'job-1',
      correlationId: 'corr-1',
      error: new Error('ledger write refused', { cause }),
    });
    report({ store: 'dead-letter-index', step: 'index', error: new Error('table gone') });

    expect(metrics).toEqual([
      [WRITE_FAILURE_METRICS.ledger, 'Count', 1],
      [WRITE_FAILURE_METRICS['dead-letter-index'], 'Count', 1],
    ]);
    expect(printed).toHaveLength(2);
    const line = JSON.parse(printed[0] ?? '{}');
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'ledger write failed (sent)',
      jobId: 'job-1',
      correlationId: 'corr-1',
      error: {
        name: 'Error',
        message: 'ledger write refused',
        stack: expect.stringContaining('write-failures.test.ts'),
        cause: { message: 'ProvisionedThroughputExceeded', stack: expect.any(String) },
      },
    });
  });
});
