const TARGET = `Target (every command):
  (default)              the running local stack (npm run dev), found through its state file
                         (.local-state/dev-stack.json, or LOCAL_STACK_STATE_FILE)
  --stage S --region R   a deployed stage, with the usual AWS credentials (AWS_PROFILE, ...)
  -h, --help             this help`;

const QUEUES = 'Queues: email-jobs, workflow-jobs (or their full names, with or without -dlq).';

/** The commands that have their own help. */
export type HelpTopic = 'list' | 'show' | 'replay';

/** The text `--help` prints, per command. */
export const HELP: Record<HelpTopic | 'main', string> = {
  main: `Inspect and replay dead letters.

Usage: npm run dlq -- <command> [options]

Commands:
  list [queue]             counts per DLQ, by reason, source and event type (never receives)
  show <queue>             the newest dead letters with reason and attempt history (never receives)
  replay <queue>           moves matching dead letters back to their source queue

Run \`npm run dlq -- <command> --help\` for a command's options.
${QUEUES}`,
  list: `Usage: npm run dlq -- list [queue] [--json]

Counts the dead letters of each DLQ (or of one) from the dead-letter index, grouped by reason code,
source and event type, with the oldest and newest, beside the DLQ's own approximate count. Messages
the queue's redrive moved there (a crashed consumer) are never indexed: they show as the difference.
Listing never receives a message.

  --json                 machine-readable output
${TARGET}
${QUEUES}`,
  show: `Usage: npm run dlq -- show <queue> [--limit N] [--json]

Shows the newest dead letters of a queue from the index: reason, source, event type, job id,
correlation id, attempts, and the job's attempt history from the ledger. Never prints a body or a
secret. Never receives a message.

  --limit N              how many (default 20, at most 1000)
  --json                 machine-readable output
${TARGET}
${QUEUES}`,
  replay: `Usage: npm run dlq -- replay <queue> [filters] [--rate N/s] [--dry-run] [--force [--yes]]

Scans the DLQ (keeping every message it has seen invisible until no new one arrives), releases the
messages that do not match untouched, and sends each match back to its source queue, body and
attributes unchanged (minus the dead-letter attributes), at the given rate. A message leaves the DLQ
only after it is in its source queue; its index item is removed and its job's attempts are reset.
A job that already succeeded is absorbed by the consumer's idempotency, not sent again.

Filters (all given must match):
  --source S             the webhook source (stripe, github, ...; api for direct producers)
  --type T               the event type
  --reason R             the reason code (attempts-exhausted, invalid-job, ...; redrive for
                         messages the queue's redrive moved there)
  --since T, --until T   when the message entered the DLQ: ISO time or a span ago (30m, 2h, 3d)
Options:
  --rate N/s             messages per second (default 10)
  --dry-run              only count what would be replayed; changes nothing
  --force                also clear each replayed job's idempotency record, so a job that already
                         succeeded is sent again; asks first
  -y, --yes              do not ask (needed for --force without a terminal)
  --visibility S         seconds the scan keeps messages invisible between renewals (default 60);
                         after a crash they reappear in the DLQ after at most this long
${TARGET}
${QUEUES}`,
};
