import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CredentialsRequiredError, HttpError } from '../../shared/errors';
import { healthDocument, httpStatusOf } from './health';
import type { CurrentHealth } from './health-answer';
import type { HealthHistory, ProbeRun } from './history';
import { renderStatusPage } from './status-page/render';

/** What the two routes need. */
export interface RouteDependencies {
  currentHealth: () => Promise<CurrentHealth>;
  history: Pick<HealthHistory, 'since'>;
  /** Whether the request carries the status key; rejects when the key cannot be read. */
  hasStatusKey: (event: APIGatewayProxyEventV2) => Promise<boolean>;
  /** False on the local stage only: no credentials asked, every detail shown. */
  authRequired: boolean;
  historyTimeoutMs: number;
  stage: string;
  now: () => number;
  onError?: (what: string, error: unknown) => void;
}

const NO_STORE = 'no-store';

/**
 * `GET /health` and `GET /status`. Domain logic only: answers or typed errors, the HTTP layer around
 * it does problem+json and the correlation id.
 */
export function makeHealthRoutes(deps: RouteDependencies) {
  /** Without the key only states are shown; a key that cannot be checked shows only states too. */
  const detailed = async (event: APIGatewayProxyEventV2) => {
    if (!deps.authRequired) return true;
    try {
      return await deps.hasStatusKey(event);
    } catch (error) {
      deps.onError?.('status key', error);
      return false;
    }
  };

  const health = async (
    event: APIGatewayProxyEventV2,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const [current, showDetail] = await Promise.all([deps.currentHealth(), detailed(event)]);
    const document = healthDocument(current.checks, {
      detailed: showDetail,
      description: 'Connector Suite: can webhooks be taken in, and what is wrong if not',
    });
    return {
      statusCode: httpStatusOf(document.status),
      headers: { 'content-type': 'application/health+json', 'cache-control': NO_STORE },
      body: JSON.stringify(document),
    };
  };

  const status = async (
    event: APIGatewayProxyEventV2,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    if (deps.authRequired && !(await deps.hasStatusKey(event))) {
      throw new CredentialsRequiredError(
        'The status page needs the status key',
        'connector-suite status',
      );
    }
    const now = deps.now();
    let runs: ProbeRun[] = [];
    try {
      runs = await deps.history.since(
        now - 24 * 3600_000,
        AbortSignal.timeout(deps.historyTimeoutMs),
      );
    } catch (error) {
      // The page still shows the live state; the charts are empty until the history answers.
      deps.onError?.('history', error);
    }
    const current = await deps.currentHealth();
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': NO_STORE,
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        'x-content-type-options': 'nosniff',
      },
      body: renderStatusPage({
        status: current.status,
        checks: current.checks,
        runs,
        now,
        stage: deps.stage,
      }),
    };
  };

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const path = event.rawPath ?? event.requestContext?.http?.path ?? '';
    if (path === '/health') return health(event);
    if (path === '/status') return status(event);
    throw new HttpError(404, 'Not found', 'No such route');
  };
}
