/**
 * @fileoverview Pure reducer for the attendee's jobs, fed by relay job snapshots (`comfyume.job`),
 * ComfyUI's native WS events and polled `/api/jobs` (or `/queue` + `/history`) lists.
 *
 * Rules that keep it truthful: a relay snapshot is authoritative (the relay's event stream is
 * ordered); the weaker sources (native events, polls) may only move a job forward, so a running
 * job never falls back to pending because a poll raced an event, and a terminal job stays terminal.
 */
import type { JobState, JobView, NodeUiOutput } from '../../../protocol/src/relay/job';

/** A job as the sidecar sends it to the browser: JobView without prompt and extraData. */
export type JobSnapshot = Omit<JobView, 'prompt' | 'extraData'>;

export type JobFailure = {
  message: string;
  nodeId: string;
  nodeType: string;
  exceptionType?: string;
};

export type TrackedJob = {
  id: string;
  state: JobState;
  number?: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  position?: number;
  queueLength?: number;
  /** Absolute local time the relay expects the job to start (queued) or end (running). */
  etaAt?: number;
  coldStartSince?: number;
  progress?: { nodeId: string; nodeType?: string; value: number; max: number };
  error?: JobFailure;
  outputs: Record<string, NodeUiOutput>;
  /** Local time of the last update, for ordering and pruning. */
  updatedAt: number;
  /** Where the current state came from: the relay's own view is richer than ComfyUI's. */
  source: 'relay' | 'comfy' | 'poll';
};

/** The relay's state as the sidecar last reported it; `dataLost` once the GPU queue lost its saved jobs. */
export type RelayState = { connected: boolean; message?: string; dataLost?: RelayDataLoss };
export type RelayDataLoss = { detectedAt: number; message: string };

export type JobsState = {
  jobs: Record<string, TrackedJob>;
  relay: RelayState | null;
  /** True while some tab has a live ComfyUI socket. */
  socketOpen: boolean;
  lastPollAt?: number;
};

/** A job as read from ComfyUI's /api/jobs list (or adapted from /queue + /history). */
export type PolledJob = {
  id: string;
  status: 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled';
  createTime: number;
  startTime?: number;
  endTime?: number;
  priority?: number;
  error?: JobFailure;
  outputs?: Record<string, NodeUiOutput>;
};

export type JobsAction =
  | { type: 'snapshot'; job: JobSnapshot; at: number }
  /** The server accepted a prompt this tab posted (POST /prompt answered with its id). */
  | { type: 'accepted'; id: string; number?: number; at: number }
  | { type: 'comfy'; message: { type: string; data: Record<string, unknown> }; at: number }
  | { type: 'poll'; active: PolledJob[]; finished: PolledJob[]; at: number }
  | { type: 'relay'; connected: boolean; message?: string; dataLost?: RelayDataLoss }
  | { type: 'socket'; open: boolean }
  | { type: 'restore'; jobs: TrackedJob[] }
  | { type: 'forget'; id: string };

/** Progress order of states; terminal states share the top rank. */
const rank: Record<JobState, number> = {
  queued: 0,
  submitting: 1,
  warming_up: 2,
  running: 3,
  fetching_outputs: 4,
  done: 5,
  failed: 5,
  cancelled: 5,
};
export const isFinal = (state: JobState): boolean => rank[state] === 5;

/** How many finished jobs are kept (persisted and shown); active jobs are always kept. */
export const MAX_FINISHED = 50;

export const initialJobsState = (): JobsState => ({ jobs: {}, relay: null, socketOpen: false });

export function jobsReducer(state: JobsState, action: JobsAction): JobsState {
  switch (action.type) {
    case 'snapshot':
      return withJob(state, fromSnapshot(action.job, action.at, state.jobs[action.job.id]));
    case 'accepted':
      // Queued from the moment the server took it; anything already known about it is newer.
      return state.jobs[action.id]
        ? state
        : advance(state, action.id, 'queued', action.at, { number: action.number });
    case 'comfy':
      return applyComfy(state, action.message, action.at);
    case 'poll':
      return prune(applyPoll(state, action));
    case 'relay':
      return {
        ...state,
        relay: {
          connected: action.connected,
          message: action.message,
          ...(action.dataLost ? { dataLost: action.dataLost } : {}),
        },
      };
    case 'socket':
      return state.socketOpen === action.open ? state : { ...state, socketOpen: action.open };
    case 'restore': {
      const jobs = { ...state.jobs };
      // What this page already learnt live wins over what was stored before the reload.
      for (const job of action.jobs) if (!jobs[job.id]) jobs[job.id] = job;
      return prune({ ...state, jobs });
    }
    case 'forget': {
      if (!state.jobs[action.id]) return state;
      const { [action.id]: _gone, ...jobs } = state.jobs;
      return { ...state, jobs };
    }
  }
}

function withJob(state: JobsState, job: TrackedJob | undefined): JobsState {
  if (!job) return state;
  return prune({ ...state, jobs: { ...state.jobs, [job.id]: job } });
}

function fromSnapshot(
  s: JobSnapshot,
  at: number,
  prev: TrackedJob | undefined,
): TrackedJob | undefined {
  // A terminal job is final; a late snapshot (e.g. replayed after a reconnect) cannot revive it.
  if (prev && isFinal(prev.state) && !isFinal(s.state)) return undefined;
  // Native events are what this tab saw happen; a snapshot taken before them (it can arrive after
  // them) must not move the job back, e.g. Running → Starting → Running.
  if (prev?.source === 'comfy' && !isFinal(s.state) && rank[s.state] < rank[prev.state])
    return undefined;
  return {
    id: s.id,
    state: s.state,
    number: s.number,
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    position: s.state === 'queued' ? s.position : undefined,
    queueLength: s.state === 'queued' ? s.queueLength : undefined,
    etaAt: s.etaMs !== undefined && !isFinal(s.state) ? at + s.etaMs : undefined,
    coldStartSince:
      s.state === 'warming_up' ? (s.coldStartSince ?? prev?.coldStartSince ?? at) : undefined,
    progress: s.state === 'running' ? s.progress : undefined,
    error: s.error
      ? {
          message: s.error.message,
          nodeId: s.error.nodeId,
          nodeType: s.error.nodeType,
          exceptionType: s.error.exceptionType,
        }
      : undefined,
    outputs: { ...(prev?.outputs ?? {}), ...s.outputs },
    updatedAt: at,
    source: 'relay',
  };
}

/** Moves a job forward only; creates it if unknown (a job queued by another tab or before a reload). */
function advance(
  state: JobsState,
  id: string,
  to: JobState,
  at: number,
  patch: Partial<TrackedJob> = {},
): JobsState {
  const prev = state.jobs[id];
  if (prev && isFinal(prev.state)) {
    // Still accept late outputs/errors for a finished job, never a state change.
    return Object.keys(patch).length
      ? withJob(state, { ...prev, ...patch, state: prev.state })
      : state;
  }
  const forward = !prev || rank[to] > rank[prev.state];
  const base: TrackedJob = prev ?? {
    id,
    state: to,
    createdAt: at,
    outputs: {},
    updatedAt: at,
    source: 'comfy',
  };
  const next: TrackedJob = { ...base, ...patch, updatedAt: at };
  if (forward) {
    next.state = to;
    next.source = 'comfy';
    if (rank[to] > 0) {
      next.position = undefined;
      next.queueLength = undefined;
    }
    if (to !== 'warming_up') next.coldStartSince = undefined;
    if (isFinal(to)) next.etaAt = undefined;
  }
  return withJob(state, next);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function applyComfy(
  state: JobsState,
  msg: { type: string; data: Record<string, unknown> },
  at: number,
): JobsState {
  const d = msg.data;
  const id = str(d.prompt_id);
  if (!id) return state;
  switch (msg.type) {
    case 'execution_start':
      return advance(state, id, 'running', at, {
        startedAt: state.jobs[id]?.startedAt ?? num(d.timestamp) ?? at,
      });
    case 'progress': {
      const nodeId = str(d.node);
      const value = num(d.value);
      const max = num(d.max);
      if (!nodeId || value === undefined || max === undefined) return state;
      const prevType =
        state.jobs[id]?.progress?.nodeId === nodeId
          ? state.jobs[id]?.progress?.nodeType
          : undefined;
      return advance(state, id, 'running', at, {
        progress: { nodeId, nodeType: prevType, value, max },
      });
    }
    case 'executed': {
      const nodeId = str(d.display_node) ?? str(d.node);
      const output = d.output;
      if (!nodeId || !output || typeof output !== 'object') return state;
      const prev = state.jobs[id];
      return advance(state, id, 'running', at, {
        outputs: { ...(prev?.outputs ?? {}), [nodeId]: output as NodeUiOutput },
      });
    }
    case 'execution_success':
      return advance(state, id, 'done', at, {
        finishedAt: num(d.timestamp) ?? at,
        progress: undefined,
      });
    case 'execution_error': {
      const nodeId = str(d.node_id) ?? '';
      const nodeType = str(d.node_type) ?? '';
      const message = str(d.exception_message)?.split('\n')[0] ?? 'the job failed';
      const exceptionType = str(d.exception_type);
      const error = state.jobs[id]?.error ?? { message, nodeId, nodeType, exceptionType };
      return advance(state, id, 'failed', at, {
        finishedAt: num(d.timestamp) ?? at,
        error,
        progress: undefined,
      });
    }
    case 'execution_interrupted':
      return advance(state, id, 'cancelled', at, {
        finishedAt: num(d.timestamp) ?? at,
        progress: undefined,
      });
    default:
      return state;
  }
}

const pollState: Record<PolledJob['status'], JobState> = {
  pending: 'queued',
  in_progress: 'running',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

function applyPoll(state: JobsState, action: Extract<JobsAction, { type: 'poll' }>): JobsState {
  let next: JobsState = { ...state, lastPollAt: action.at };
  const seen = new Set<string>();
  for (const p of [...action.active, ...action.finished]) {
    seen.add(p.id);
    const prev = next.jobs[p.id];
    const to = pollState[p.status];
    // ComfyUI's "in_progress" covers submitting and warming up too: keep the richer relay state.
    const target =
      to === 'running' && prev && rank[prev.state] >= rank.submitting ? prev.state : to;
    next = advance(next, p.id, target, action.at, {
      createdAt: prev?.createdAt ?? p.createTime,
      number: prev?.number ?? p.priority,
      ...(p.startTime !== undefined && !prev?.startedAt ? { startedAt: p.startTime } : {}),
      ...(p.endTime !== undefined && !prev?.finishedAt ? { finishedAt: p.endTime } : {}),
      ...(p.error && !prev?.error ? { error: p.error } : {}),
      ...(p.outputs ? { outputs: { ...(prev?.outputs ?? {}), ...p.outputs } } : {}),
    });
    if (!prev) next.jobs[p.id]!.source = 'poll';
  }
  // An active job the server no longer lists anywhere was removed from the queue: ComfyUI keeps no
  // record of a deleted pending prompt, so neither do we (claiming "cancelled" would be a guess).
  const oldestFinished = Math.min(...action.finished.map((j) => j.createTime));
  for (const job of Object.values(next.jobs)) {
    if (seen.has(job.id) || isFinal(job.state)) continue;
    if (action.finished.length >= 64 && job.createdAt < oldestFinished) continue; // may be beyond the page
    if (action.at - job.updatedAt < 5_000) continue; // a fresh job may not be listed yet
    next = jobsReducer(next, { type: 'forget', id: job.id });
  }
  return next;
}

/** Keeps every active job and the newest MAX_FINISHED finished ones. */
function prune(state: JobsState): JobsState {
  const finished = Object.values(state.jobs).filter((j) => isFinal(j.state));
  if (finished.length <= MAX_FINISHED) return state;
  finished.sort((a, b) => b.createdAt - a.createdAt);
  const jobs = { ...state.jobs };
  for (const old of finished.slice(MAX_FINISHED)) delete jobs[old.id];
  return { ...state, jobs };
}

/** Jobs newest first, as the tracker lists them. */
export function jobList(state: JobsState): TrackedJob[] {
  return Object.values(state.jobs).sort(
    (a, b) => b.createdAt - a.createdAt || (b.number ?? 0) - (a.number ?? 0),
  );
}
