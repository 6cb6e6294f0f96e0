/**
 * @fileoverview What the relay's admin API says about the GPU agent (operators only):
 * `GET /api/admin/replicas` — the replicas whose heartbeats are on SFS — and
 * `GET /api/admin/jobs/:id/agent-log` — a job's journal, one line per record, attempt by attempt.
 */
import { z } from 'zod';
import { Heartbeat } from './journal';

export const ReplicaInfo = Heartbeat.extend({
  state: z.enum(['live', 'stale']),
  /** Relay clock (ms epoch) of the heartbeat's last change. */
  lastSeenAt: z.number(),
});
export type ReplicaInfo = z.infer<typeof ReplicaInfo>;

export const ReplicasResponse = z.object({ replicas: z.array(ReplicaInfo), now: z.number() });
export type ReplicasResponse = z.infer<typeof ReplicasResponse>;

export const AgentLogEntry = z.object({
  n: z.number(),
  at: z.number(),
  kind: z.enum(['message', 'preview', 'progress_text', 'agent', 'invalid']),
  /** Message type or agent event, e.g. "executing", "cancel". */
  what: z.string(),
  /** One line a person reads: "node 3 (5/20)", "dequeued", "preview of node 3, 14 KB". */
  detail: z.string(),
});
export type AgentLogEntry = z.infer<typeof AgentLogEntry>;

export const AgentLogAttempt = z.object({
  attempt: z.number(),
  replica: z.string(),
  entries: z.array(AgentLogEntry),
  /** Records left out because the log is long (the newest are kept). */
  omitted: z.number(),
});

export const AgentLogResponse = z.object({
  jobId: z.string(),
  attempts: z.array(AgentLogAttempt),
  /** The cancel marker the relay wrote for the job, when there is one. */
  cancel: z.object({ attempt: z.number(), reason: z.string(), at: z.number() }).nullable(),
  /**
   * Set when nothing is left because the relay's sweeper removed the job's folder from the shared
   * volume: the job finished (`finishedAt`) more than SFS_RETENTION_H (`retentionH`) ago.
   */
  removed: z.object({ finishedAt: z.number(), retentionH: z.number() }).optional(),
});
export type AgentLogResponse = z.infer<typeof AgentLogResponse>;
