/**
 * @fileoverview A relay job as the relay stores it and serves it (JobView), and its states.
 *
 * A job's id is a canonical lowercase UUID minted by the sidecar (idempotency key) and is the
 * `prompt_id` the attendee's browser sees in every ComfyUI message.
 */
import { z } from 'zod';

/** queued → submitting → (warming_up) → running → fetching_outputs → done | failed | cancelled */
export const jobStates = [
  'queued',
  'submitting',
  'warming_up',
  'running',
  'fetching_outputs',
  'done',
  'failed',
  'cancelled',
] as const;
export const JobState = z.enum(jobStates);
export type JobState = z.infer<typeof JobState>;
export const terminalStates: readonly JobState[] = ['done', 'failed', 'cancelled'];
export const isTerminal = (state: JobState): boolean => terminalStates.includes(state);

export const BackendKind = z.enum(['serverless', 'direct', 'simulated', 'pull']);
export type BackendKind = z.infer<typeof BackendKind>;

export const Lane = z.enum(['normal', 'priority']);
export type Lane = z.infer<typeof Lane>;

export const JobId = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'a canonical lowercase UUID',
  );

/** One file in a ComfyUI UI output (`executed.output.images[]` etc.), named as the user's store has it. */
export const OutputFile = z
  .object({
    filename: z.string(),
    subfolder: z.string(),
    type: z.enum(['output', 'temp', 'input']),
  })
  .passthrough();
export type OutputFile = z.infer<typeof OutputFile>;

/** ComfyUI's per-node UI output: `{images:[...], animated?:[true], audio?:[...], text?:[...] ...}`. */
export const NodeUiOutput = z.record(z.string(), z.array(z.unknown()));
export type NodeUiOutput = z.infer<typeof NodeUiOutput>;

/** The ComfyUI-shaped failure of a job; `nodeId` is '' for job-level failures (timeouts, GPU down). */
export const JobError = z.object({
  message: z.string(), // one line a person can act on
  nodeId: z.string(),
  nodeType: z.string(),
  exceptionType: z.string(),
  exceptionMessage: z.string(),
  traceback: z.array(z.string()),
  currentInputs: z.record(z.string(), z.unknown()).default({}),
  currentOutputs: z.array(z.string()).default([]),
});
export type JobError = z.infer<typeof JobError>;

/** A `[event, data]` pair as ComfyUI keeps them in history `status.messages`. */
export const StatusMessage = z.tuple([z.string(), z.record(z.string(), z.unknown())]);

export const JobView = z.object({
  id: JobId,
  /** The id the attendee's client chose (POST /prompt `prompt_id`); absent when the sidecar minted `id`. */
  promptId: z.string().optional(),
  userId: z.string(),
  clientId: z.string(), // the browser tab's ComfyUI sid that queued it ('' when none)
  state: JobState,
  lane: Lane,
  number: z.number(), // ComfyUI queue number answered to the browser
  createdAt: z.number(), // ms epoch
  submittedAt: z.number().optional(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  /** 1-based position among all queued jobs in dispatch order; only while queued. */
  position: z.number().int().positive().optional(),
  queueLength: z.number().int().nonnegative().optional(),
  etaMs: z.number().nonnegative().optional(), // expected ms until it starts (queued) or ends (running)
  backend: z.string().optional(),
  coldStartSince: z.number().optional(), // set while the GPU is warming up
  /** The node currently running and its step progress, when the backend can see it. */
  progress: z
    .object({
      nodeId: z.string(),
      nodeType: z.string().optional(),
      value: z.number(),
      max: z.number(),
    })
    .optional(),
  outputsToExecute: z.array(z.string()),
  executedNodes: z.array(z.string()),
  cachedNodes: z.array(z.string()),
  outputs: z.record(z.string(), NodeUiOutput), // nodeId → UI output, files already in the user's store
  statusMessages: z.array(StatusMessage), // execution_start / cached / success|error|interrupted, as history keeps them
  error: JobError.optional(),
  /** Present with `?prompts=1` and on single-job reads: the API prompt and extra_data (workflow). */
  prompt: z.record(z.string(), z.unknown()).optional(),
  extraData: z.record(z.string(), z.unknown()).optional(),
});
export type JobView = z.infer<typeof JobView>;
