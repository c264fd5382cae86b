import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as events from '../../../../local/offline/lambda-events';

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { level: string; message: string };

/**
 * A real Powertools Logger whose output is captured: every chunk written to stdout or stderr while
 * the test runs (restore with `jest.restoreAllMocks()`), parsed as the JSON lines Powertools writes.
 */
export function capturedLogger(): { logger: Logger; lines: () => LogLine[]; raw: () => string } {
  const chunks: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
  }
  const logger = new Logger({ serviceName: 'shared-http-test', logLevel: 'DEBUG' });
  const raw = () => chunks.join('');
  const lines = () =>
    raw()
      .split('\n')
      // Only Powertools' JSON lines: anything else written meanwhile (a runtime warning) is not ours.
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  return { logger, lines, raw };
}

/** An HTTP API event carrying `headers`. */
export function httpEventWith(headers: Record<string, string>): APIGatewayProxyEventV2 {
  return events.httpEvent('demo', { body: '{}', headers });
}

/** A Lambda context with its own request id. */
export function lambdaContext(): Context {
  return events.lambdaContext('connector-suite-test-http');
}
