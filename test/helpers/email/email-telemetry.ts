import {
  type BatcherTelemetry,
  emptyCounts,
  type JobOutcomeLine,
  type ReconciledLine,
  type SearchLine,
} from '../../../functions/email-batcher/telemetry';

/** Telemetry that counts and keeps every job line, shared by all batchers of a harness. */
export function recordingTelemetry(): BatcherTelemetry & {
  lines: JobOutcomeLine[];
  reconciledLines: ReconciledLine[];
  searchLines: SearchLine[];
} {
  const counts = emptyCounts();
  const lines: JobOutcomeLine[] = [];
  const reconciledLines: ReconciledLine[] = [];
  const searchLines: SearchLine[] = [];
  return {
    counts,
    lines,
    reconciledLines,
    searchLines,
    reconciled: (line) => {
      counts[line.verdict] += 1;
      reconciledLines.push(line);
    },
    searched: (line) => {
      counts.searches += 1;
      searchLines.push(line);
    },
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
