/**
 * @fileoverview The one interface every GPU backend implements (serverless endpoint, direct
 * ComfyUI URLs, the simulator, pull workers). The scheduler owns queueing, fairness and state;
 * a backend only runs one job on a GPU and reports what it sees through a narrow context.
 * Every implementation passes test/integration/backends.conformance.test.ts.
 */
import type { Logger } from 'pino';
import type {
  BackendKind,
  BackendState,
  JobError,
  JobFact,
  NodeUiOutput,
} from '../../../protocol/src/index';

/** What a backend needs of a job: already validated, inputs already uploaded to the relay. */
export type RunnableJob = {
  id: string; // also the prompt_id used on the GPU (ComfyUI accepts a client-chosen canonical UUID)
  userId: string;
  prompt: Record<string, unknown>; // the user's API prompt, untouched; the backend tags output prefixes
  extraData: Record<string, unknown>; // extra_pnginfo.workflow etc., passed through so PNGs carry metadata
  outputsToExecute: string[];
  inputs: { path: string; sha256: string; file: string }[]; // `file` = absolute path of the bytes on the relay
  /** Set when an earlier run (before a relay restart) may already have submitted this job. */
  resume?: { submittedAt?: number; submitAttemptedAt?: number; backendRef?: string };
};

/** A file a backend found for a job's output node, before it is copied into the user's store. */
export type FoundOutput = {
  nodeId: string;
  /** UI key it belongs under: images, audio, video, text … (ComfyUI's `executed.output` keys). */
  key: string;
  type: 'output' | 'temp';
  /** The user's original prefix asked for this (sub)folder and name stem, e.g. "renders/cat". */
  originalPrefix: string;
  /** Read the bytes: a local path (shared volume) or a fetch from the GPU's /view. */
  source: { path: string } | { url: string; headers?: Record<string, string> };
  extension: string; // ".png", ".webp", ".mp4" …
  extra?: Record<string, unknown>; // e.g. {animated: true}
};

export type RunContext = {
  signal: AbortSignal; // aborted when the job is cancelled or the relay shuts down
  logger: Logger;
  /** Phase changes the attendee sees. Persisted before the call returns. */
  phase(state: 'submitting' | 'warming_up' | 'running' | 'fetching_outputs'): Promise<void>;
  /** Persist that the GPU may have the job now (called right before the POST) and that it has it (after 200). */
  markSubmitAttempted(backendRef: string): Promise<void>;
  markSubmitted(backendRef: string): Promise<void>;
  /**
   * Forward a ComfyUI message the GPU itself sent for this job, verbatim except prompt_id = job id,
   * node ids the user's and files renamed to the user's store. Never a message the relay made up:
   * what the GPU did not say is reported with `evidence` or ends up in the RunResult.
   */
  emit(message: { type: string; data: Record<string, unknown> }): Promise<void>;
  /** Something the relay established without a GPU message (the job started, a node runs, an output is stored). */
  evidence(fact: JobFact): Promise<void>;
  /**
   * A live preview image (JPEG/PNG bytes) of a node; dropped when nobody can take it. `meta`
   * (optional) carries the GPU's own type-4 metadata ids (display/parent/real node) to keep them.
   */
  preview(
    nodeId: string,
    image: Buffer,
    mime: 'image/jpeg' | 'image/png',
    meta?: { display_node_id?: string; parent_node_id?: string | null; real_node_id?: string },
  ): void;
  /** Copy a found output into the user's store (naming as ComfyUI would), once per file. Returns the UI item. */
  storeOutput(
    found: FoundOutput,
  ): Promise<{ filename: string; subfolder: string; type: 'output' | 'temp' }>;
};

export type RunResult = {
  status: 'success' | 'error' | 'interrupted';
  outputs: Record<string, NodeUiOutput>; // nodeId → UI output with user-store names
  cachedNodes: string[];
  executedNodes: string[];
  error?: JobError;
  /** history status.messages in ComfyUI's shape, with the job id as prompt_id. */
  statusMessages: [string, Record<string, unknown>][];
};

export interface Backend {
  readonly name: string;
  readonly kind: BackendKind;
  /** How many jobs this backend runs at once (the scheduler never exceeds it). */
  capacity(): number;
  state(): BackendState;
  /** Run one job to its end. Must never submit a job twice, also across relay restarts (`job.resume`). */
  run(job: RunnableJob, ctx: RunContext): Promise<RunResult>;
  /** Interrupt a job this backend is running (cancel). Resolves once the GPU was asked. */
  cancel(jobId: string): Promise<void>;
  /**
   * The GPU's /object_info, asked anew on each call: the relay's one copy (object-info-cache.ts)
   * decides when, and keeps the answer.
   */
  objectInfo(): Promise<Record<string, unknown>>;
  /**
   * A read-only GET of the GPU's ComfyUI (`/object_info`, `/models/checkpoints`, `/embeddings` …),
   * uncached, for what the attendee's UI lists. Backends that cannot do it leave it out.
   */
  readComfy?(path: string): Promise<{ status: number; body: unknown }>;
  /** A GPU box of its own (a pull worker): what the dashboard shows of it. Others leave it out. */
  activity?(): BackendActivity;
  close(): Promise<void>;
}

/** The jobs a backend runs now on this relay and when its box was last heard from (ms epoch). */
export type BackendActivity = { jobs: string[]; lastSeenAt?: number };
