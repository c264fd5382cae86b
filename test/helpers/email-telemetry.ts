import type {
  BatcherTelemetry,
  JobOutcomeLine,
  TelemetryCounts,
} from '../../functions/email-batcher/telemetry';

/** Telemetry that counts and keeps every job line, shared by all batchers of a harness. */
export function recordingTelemetry(): BatcherTelemetry & { lines: JobOutcomeLine[] } {
  const counts: TelemetryCounts = {
    sent: 0,
    duplicate: 0,
    'dead-lettered': 0,
    deferred: 0,
    retried: 0,
    ambiguous: 0,
    calls: 0,
    paused: 0,
    resumed: 0,
  };
  const lines: JobOutcomeLine[] = [];
  return {
    counts,
    lines,
    job: (line) => {
      counts[line.outcome] += 1;
      lines.push(line);
    },
    claimed: () => {},
    ambiguous: () => {
      counts.ambiguous += 1;
    },
    providerCall: () => {
      counts.calls += 1;
    },
    paused: () => {
      counts.paused += 1;
    },
    resumed: () => {
      counts.resumed += 1;
    },
  };
}
