/**
 * @fileoverview Latencies the serverless backend adds, kept in bounded windows for reports and
 * /metrics: output file written (its mtime) → stored for the user → `executed` emitted, and a GPU
 * runtime error (its timestamp) → the job's error emitted.
 */
import { percentile } from '../../../../kit/percentile';

export type LatencySummary = { count: number; p50: number; p95: number; max: number };

export type ServerlessMetrics = {
  /** file mtime → the watcher handed it over (detection + write-settle wait). */
  fileToSeenMs: LatencySummary;
  /** file mtime → ctx.storeOutput resolved. */
  fileToStoredMs: LatencySummary;
  /** file mtime → `executed` emitted. */
  fileToExecutedMs: LatencySummary;
  /** GPU execution_error timestamp → execution_error emitted and JobError returned. */
  gpuErrorToJobErrorMs: LatencySummary;
  historyPolls: number;
  historyHits: number;
  historyErrors: number;
};

const WINDOW = 2000;

function summary(values: number[]): LatencySummary {
  return {
    count: values.length,
    p50: percentile(values, 50, 0),
    p95: percentile(values, 95, 0),
    max: values.length ? Math.max(...values) : 0,
  };
}

export class Metrics {
  private readonly series = {
    seen: [] as number[],
    stored: [] as number[],
    executed: [] as number[],
    error: [] as number[],
  };
  historyPolls = 0;
  historyHits = 0;
  historyErrors = 0;

  private push(list: number[], value: number): void {
    list.push(Math.max(0, value));
    if (list.length > WINDOW) list.shift();
  }

  output(mtimeMs: number, seenAt: number, storedAt: number, executedAt: number): void {
    this.push(this.series.seen, seenAt - mtimeMs);
    this.push(this.series.stored, storedAt - mtimeMs);
    this.push(this.series.executed, executedAt - mtimeMs);
  }

  gpuError(gpuTimestamp: number, reportedAt: number): void {
    this.push(this.series.error, reportedAt - gpuTimestamp);
  }

  snapshot(): ServerlessMetrics {
    return {
      fileToSeenMs: summary(this.series.seen),
      fileToStoredMs: summary(this.series.stored),
      fileToExecutedMs: summary(this.series.executed),
      gpuErrorToJobErrorMs: summary(this.series.error),
      historyPolls: this.historyPolls,
      historyHits: this.historyHits,
      historyErrors: this.historyErrors,
    };
  }
}
