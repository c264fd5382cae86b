import { type CheckResult, effectiveStatus } from '../health';
import type { ProbeRun } from '../history';

/** A part of the pipeline, as the status page groups its checks. */
export interface PipelinePart {
  id: string;
  title: string;
}

/** The parts in the order a message travels through them. */
export const PIPELINE_PARTS: readonly PipelinePart[] = [
  { id: 'ingest', title: 'Taking webhooks in' },
  { id: 'queues', title: 'Queues and dead letters' },
  { id: 'email', title: 'Email' },
  { id: 'workflows', title: 'Workflows' },
  { id: 'secrets', title: 'Secrets' },
  { id: 'probe', title: 'The health probe itself' },
];

/** Which part a check key belongs to; a key not listed goes by its component's name. */
export function partOf(key: string): string {
  if (key.startsWith('queue:') || key.startsWith('dlq:')) return 'queues';
  if (key.startsWith('email')) return 'email';
  if (key.startsWith('workflow')) return 'workflows';
  if (key.startsWith('secret')) return 'secrets';
  if (key.startsWith('probe:')) return 'probe';
  return 'ingest';
}

/** What each check measures, in an operator's words. */
const WHAT: Record<string, string> = {
  'dynamodb:readLatency': 'DynamoDB table',
  'ceiling:utilization': 'Abuse ceiling use',
  'queue:depth': 'Jobs waiting in queue',
  'queue:oldestMessageAge': 'Oldest job in queue',
  'dlq:depth': 'Dead letters waiting',
  'email:responseTime': 'Email provider reachable',
  'email:providerPause': 'Email provider pause',
  'emailRateLimiter:utilization': 'Email rate limit use',
  'workflow:responseTime': 'Workflow engine reachable',
  'workflow:circuitBreaker': 'Workflow circuit breaker',
  'secret:age': 'Secret',
  'probe:lastRun': 'Last scheduled probe run',
};

/** What to do, or where to look, when a check is not passing. */
const TODO: Record<string, string> = {
  'dynamodb:readLatency':
    'Ingest answers 503 and senders retry; nothing accepted is lost. Check the table in the DynamoDB console (or DynamoDB Local).',
  'ceiling:utilization':
    'One source sends near its ceiling: find who with `npm run trace`, or raise its ceiling in config/sources.json.',
  'queue:depth':
    'Jobs pile up: look at the consumer below (provider pause, open breaker) and its logs.',
  'queue:oldestMessageAge':
    'Jobs wait long: look at the consumer below (provider pause, open breaker) and its logs.',
  'dlq:depth':
    'See why with `npm run dlq -- show <queue>`; once the cause is fixed, `npm run dlq -- replay <queue>`.',
  'email:responseTime':
    'The provider does not answer: email jobs wait in their queue. Check EMAIL_API_URL and the provider status.',
  'email:providerPause':
    'Our token or account was refused. Fix it, then `npm run resume -- email --reason "..."` (a new token version resumes by itself).',
  'emailRateLimiter:utilization':
    'Email is sent at the rate limit: the backlog drains at EMAIL_RATE_PER_SECOND.',
  'workflow:responseTime':
    'The engine does not answer: workflow jobs wait in their queue and the breaker opens. Check WORKFLOW_API_URL and the engine.',
  'workflow:circuitBreaker':
    'Calls to the engine are held. Once the cause is fixed: `npm run resume -- workflow --reason "..."` (a new token version resumes by itself).',
  'secret:age':
    'Rotate or restore the secret (docs/sources.md, "Secret caching and rotation"); an unreadable signing secret makes ingest answer 503.',
};

/** The operator's name for a check. */
export const whatOf = (key: string): string => WHAT[key] ?? key;

/** The operator's next step for a check that is not passing. */
export const todoOf = (key: string): string =>
  TODO[key] ?? 'See the component and its logs (`npm run trace`).';

/**
 * Since when a check has not been passing: the earliest of the latest unbroken stretch of stored
 * runs in which it did not pass, or the check's own time when no stored run shows it yet.
 */
export function notPassingSince(check: CheckResult, runs: readonly ProbeRun[]): string {
  let since = check.time;
  const newestFirst = [...runs].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  for (const run of newestFirst) {
    const entry = run.checks.find(
      (candidate) => candidate.key === check.key && candidate.componentId === check.componentId,
    );
    if (!entry || effectiveStatus(entry) === 'pass') break;
    if (Date.parse(run.time) < Date.parse(since)) since = run.time;
  }
  return since;
}

/** "12 min", "3 h", "2 d": how long ago `since` was. */
export function durationText(since: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(since)) / 1000));
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
