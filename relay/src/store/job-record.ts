/**
 * @fileoverview A job as one Redis hash: plain fields for scalars, JSON for structures. Converts
 * between the hash and `StoredJob` (JobView plus what only the relay needs: inputs, owner, resume).
 */
import { createHash } from 'node:crypto';
import type {
  JobError,
  JobInput,
  JobState,
  JobView,
  Lane,
  NodeUiOutput,
} from '../../../protocol/src/index';

export type StoredJob = Omit<JobView, 'position' | 'queueLength' | 'etaMs'> & {
  prompt: Record<string, unknown>;
  extraData: Record<string, unknown>;
  inputs: JobInput[];
  promptHash: string;
  owner?: string;
  claimedAt?: number;
  submitAttemptedAt?: number;
  backendRef?: string;
  cancelRequested?: number;
  position?: number;
  takeovers: number;
};

const jsonFields = [
  'progress',
  'outputsToExecute',
  'executedNodes',
  'cachedNodes',
  'outputs',
  'statusMessages',
  'error',
  'prompt',
  'extraData',
  'inputs',
] as const;
const numberFields = [
  'number',
  'createdAt',
  'submittedAt',
  'startedAt',
  'finishedAt',
  'coldStartSince',
  'claimedAt',
  'submitAttemptedAt',
  'cancelRequested',
] as const;

/** Fields a caller may set, encoded for HSET (undefined → '' which reads back as absent). */
export type JobPatch = Partial<{
  clientId: string;
  promptId: string;
  backend: string;
  backendRef: string;
  submittedAt: number;
  startedAt: number;
  coldStartSince: number | undefined;
  submitAttemptedAt: number;
  progress: JobView['progress'] | undefined;
  outputsToExecute: string[];
  executedNodes: string[];
  cachedNodes: string[];
  outputs: Record<string, NodeUiOutput>;
  statusMessages: [string, Record<string, unknown>][];
  error: JobError;
  prompt: Record<string, unknown>;
  extraData: Record<string, unknown>;
  inputs: JobInput[];
}>;

export function encodePatch(patch: JobPatch): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) out.push(key, '');
    else if ((jsonFields as readonly string[]).includes(key)) out.push(key, JSON.stringify(value));
    else out.push(key, String(value));
  }
  return out;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function json<T>(value: string | undefined, fallback: T): T {
  if (value === undefined || value === '') return fallback;
  return JSON.parse(value) as T;
}

/**
 * Every field decodeJob reads except the big ones a list leaves out (prompt, extraData, inputs):
 * a job list reads these with HMGET.
 */
export const LIST_FIELDS: readonly string[] = [
  'id',
  'promptId',
  'userId',
  'clientId',
  'state',
  'lane',
  'backend',
  'promptHash',
  'owner',
  'backendRef',
  'takeovers',
  ...numberFields,
  ...jsonFields.filter((f) => f !== 'prompt' && f !== 'extraData' && f !== 'inputs'),
];

/** A job from its hash; `position` is computed by the reader (the store never keeps it per job). */
export function decodeJob(hash: Record<string, string>, position?: number): StoredJob | undefined {
  if (!hash.id) return undefined;
  const n = Object.fromEntries(numberFields.map((f) => [f, num(hash[f])])) as Record<
    (typeof numberFields)[number],
    number | undefined
  >;
  const state = hash.state as JobState;
  return {
    id: hash.id,
    promptId: hash.promptId || undefined,
    userId: hash.userId ?? '',
    clientId: hash.clientId ?? '',
    state,
    lane: (hash.lane as Lane) ?? 'normal',
    number: n.number ?? 0,
    createdAt: n.createdAt ?? 0,
    submittedAt: n.submittedAt,
    startedAt: n.startedAt,
    finishedAt: n.finishedAt,
    backend: hash.backend || undefined,
    coldStartSince: n.coldStartSince,
    progress: json(hash.progress, undefined),
    outputsToExecute: json(hash.outputsToExecute, []),
    executedNodes: json(hash.executedNodes, []),
    cachedNodes: json(hash.cachedNodes, []),
    outputs: json(hash.outputs, {}),
    statusMessages: json(hash.statusMessages, []),
    error: json(hash.error, undefined),
    prompt: json(hash.prompt, {}),
    extraData: json(hash.extraData, {}),
    inputs: json(hash.inputs, []),
    promptHash: hash.promptHash ?? '',
    owner: hash.owner || undefined,
    claimedAt: n.claimedAt,
    submitAttemptedAt: n.submitAttemptedAt,
    backendRef: hash.backendRef || undefined,
    cancelRequested: n.cancelRequested,
    position: state === 'queued' && position ? position : undefined,
    takeovers: num(hash.takeovers) ?? 0,
  };
}

/**
 * The record addJob has just written for `job` (what `decodeJob` would read back), built from the
 * submitted job and the script's answer instead of a second round trip that would parse the prompt
 * and extra data back out of Redis on every admission.
 */
export function queuedJob(
  job: {
    id: string;
    promptId?: string;
    userId: string;
    clientId: string;
    prompt: Record<string, unknown>;
    extraData: Record<string, unknown>;
    outputsToExecute: string[];
    inputs: JobInput[];
  },
  stored: { promptHash: string; createdAt: number; number: number; position: number },
): StoredJob {
  return {
    id: job.id,
    promptId: job.promptId || undefined,
    userId: job.userId,
    clientId: job.clientId,
    state: 'queued',
    lane: 'normal',
    number: stored.number,
    createdAt: stored.createdAt,
    submittedAt: undefined,
    startedAt: undefined,
    finishedAt: undefined,
    backend: undefined,
    coldStartSince: undefined,
    progress: undefined,
    outputsToExecute: job.outputsToExecute,
    executedNodes: [],
    cachedNodes: [],
    outputs: {},
    statusMessages: [],
    error: undefined,
    prompt: job.prompt,
    extraData: job.extraData,
    inputs: job.inputs,
    promptHash: stored.promptHash,
    owner: undefined,
    claimedAt: undefined,
    submitAttemptedAt: undefined,
    backendRef: undefined,
    cancelRequested: undefined,
    position: stored.position || undefined,
    takeovers: 0,
  };
}

/** The public view: no relay internals; prompt/extraData only when `full`. */
export function toView(
  job: StoredJob,
  extra: { full?: boolean; queueLength?: number; etaMs?: number } = {},
): JobView {
  const view: JobView = {
    id: job.id,
    promptId: job.promptId,
    userId: job.userId,
    clientId: job.clientId,
    state: job.state,
    lane: job.lane,
    number: job.number,
    createdAt: job.createdAt,
    submittedAt: job.submittedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    position: job.state === 'queued' ? job.position : undefined,
    queueLength: job.state === 'queued' ? extra.queueLength : undefined,
    etaMs: extra.etaMs,
    backend: job.backend,
    coldStartSince: job.coldStartSince,
    progress: job.progress,
    outputsToExecute: job.outputsToExecute,
    executedNodes: job.executedNodes,
    cachedNodes: job.cachedNodes,
    outputs: job.outputs,
    statusMessages: job.statusMessages,
    error: job.error,
    prompt: extra.full ? job.prompt : undefined,
    extraData: extra.full ? job.extraData : undefined,
  };
  for (const key of Object.keys(view) as (keyof JobView)[])
    if (view[key] === undefined) delete view[key];
  return view;
}

/** Key-order independent JSON, so a retried submit hashes the same however its JSON was built. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function promptHash(prompt: unknown, outputsToExecute: unknown): string {
  return createHash('sha256').update(stableStringify({ prompt, outputsToExecute })).digest('hex');
}
