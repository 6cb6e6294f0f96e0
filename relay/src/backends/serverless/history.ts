/**
 * @fileoverview Reading a ComfyUI `/history/{id}` answer as evidence about a serverless job.
 *
 * Behind a load balancer most answers come from replicas that never saw the prompt: `{}` means
 * "not on this replica", never failure. An entry is written only when the prompt has ended, so
 * finding one settles the outcome (success, runtime error, interrupted), which nodes were cached,
 * and which files the GPU wrote.
 */
import { z } from 'zod';

const Message = z.tuple([z.string(), z.record(z.string(), z.unknown())]);
const FileItem = z
  .object({ filename: z.string(), subfolder: z.string().default(''), type: z.string() })
  .passthrough();

// Loose at ComfyUI's edge: only what we read is checked, everything else passes.
const HistoryEntry = z
  .object({
    outputs: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    status: z
      .object({
        status_str: z.string().optional(),
        completed: z.boolean().optional(),
        messages: z.array(Message).default([]),
      })
      .passthrough()
      .optional(),
    meta: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .passthrough();

export type HistoryFile = {
  nodeId: string;
  key: string;
  filename: string;
  subfolder: string;
  type: string;
};

export type HistoryEvidence = {
  outcome: 'success' | 'error' | 'interrupted';
  /** `status.messages` as ComfyUI keeps them. */
  messages: [string, Record<string, unknown>][];
  cachedNodes: string[];
  /** The `execution_error` / `execution_interrupted` payload, when that is how it ended. */
  terminal?: Record<string, unknown>;
  /** Every file item the GPU listed in `outputs`. */
  files: HistoryFile[];
  /** Per node, the UI output keys that are not file lists (text, animated flags …). */
  extras: Record<string, Record<string, unknown[]>>;
  meta: Record<string, Record<string, unknown>>;
};

/** Evidence from a `/history/{jobId}` body, or null when this replica does not know the job. */
export function readHistory(body: unknown, jobId: string): HistoryEvidence | null {
  if (!body || typeof body !== 'object') return null;
  const raw = (body as Record<string, unknown>)[jobId];
  if (raw === undefined) return null;
  const parsed = HistoryEntry.safeParse(raw);
  if (!parsed.success) return null;
  const entry = parsed.data;
  const messages = (entry.status?.messages ?? []) as [string, Record<string, unknown>][];
  const find = (type: string) => messages.find(([name]) => name === type)?.[1];
  const interrupted = find('execution_interrupted');
  const error = find('execution_error');
  // A missing status is how ComfyUI wrote successful entries before status existed (jobs API maps it to completed).
  const outcome = interrupted
    ? 'interrupted'
    : error || entry.status?.status_str === 'error'
      ? 'error'
      : 'success';
  const cached = find('execution_cached')?.nodes;

  const files: HistoryFile[] = [];
  const extras: HistoryEvidence['extras'] = {};
  for (const [nodeId, output] of Object.entries(entry.outputs)) {
    for (const [key, value] of Object.entries(output)) {
      if (!Array.isArray(value)) continue;
      const items = value.map((item) => FileItem.safeParse(item));
      if (value.length > 0 && items.every((item) => item.success)) {
        for (const item of items) if (item.success) files.push({ nodeId, key, ...item.data });
      } else {
        (extras[nodeId] ??= {})[key] = value;
      }
    }
  }
  return {
    outcome,
    messages,
    cachedNodes: Array.isArray(cached) ? cached.map(String) : [],
    terminal: interrupted ?? error,
    files,
    extras,
    meta: entry.meta ?? {},
  };
}

/** Whether a `/queue` body lists the job as running or pending on the replica that answered. */
export function queueHas(body: unknown, jobId: string): boolean {
  if (!body || typeof body !== 'object') return false;
  const { queue_running: running, queue_pending: pending } = body as Record<string, unknown>;
  return [running, pending].some(
    (list) => Array.isArray(list) && list.some((item) => Array.isArray(item) && item[1] === jobId),
  );
}
