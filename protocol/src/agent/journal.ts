/**
 * @fileoverview The GPU agent's files on the shared output volume (SFS), defined once: the journal
 * a replica writes for each job it runs, its heartbeat, and the cancel marker the relay writes.
 * The Python agent (gpu-agent/), the simulator (`simulate --agent`) and the relay all follow these
 * shapes; `fixtures/journal.example.json` is read by the TypeScript and the Python tests alike.
 *
 * Layout under `<SFS>/comfyume/` (paths.ts builds them):
 *   replicas/<replicaId>.json                       heartbeat, rewritten about every 2 s
 *   <jobId>/.agent/<attempt>-<replicaId>/<seq>.json  journal batches 1, 2, 3 … of one attempt
 *   <jobId>/.agent/cancel.json                       cancel marker (relay → replica)
 *
 * Every file is written whole to a temporary file in the same folder, fsynced, then renamed into
 * place, so a reader on another NFS host sees either nothing or a complete file — never a partial
 * record; readers take only the exact names above. The `.agent` folder is never an output: the
 * relay's watcher skips dot-named folders and untag() refuses them.
 */
import { z } from 'zod';
import { JobId } from '../relay/job';

/** Version of every file below; a reader skips files of another version with one log line. */
export const AGENT_FORMAT_VERSION = 1;

/** A replica id names a file: letters, digits, `_ . -`, not starting with a dot, at most 64. */
export const ReplicaId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'letters, digits, "_", ".", "-" (at most 64, no leading dot)',
  );

/** Attempt n of a job: 1 for the first submit, 2 after a resubmit because a replica died. */
export const Attempt = z.number().int().min(1).max(99);

/**
 * The marker the relay puts in `extra_data` of every prompt it submits: the agent journals only
 * prompts that carry it, under this job id and attempt.
 */
export const PromptMarker = z.object({ job: JobId, attempt: Attempt });
export type PromptMarker = z.infer<typeof PromptMarker>;
/** Key of the marker in `extra_data`. */
export const MARKER_KEY = 'comfyume';

const base = { n: z.number().int().min(0), at: z.number() };

/** A ComfyUI text message for the job, exactly as the replica sent it (`{type, data}` of the WS frame). */
export const MessageRecord = z.object({
  ...base,
  kind: z.literal('message'),
  type: z.string().min(1).max(64),
  data: z.record(z.string(), z.unknown()),
});

/**
 * A live preview. `source` is the binary event type the replica produced (4 with metadata; 1 when
 * it had none, in which case the agent fills `meta` from the node that reported progress last).
 * `image` is base64.
 */
export const PreviewRecord = z.object({
  ...base,
  kind: z.literal('preview'),
  source: z.union([z.literal(1), z.literal(4)]),
  mime: z.enum(['image/jpeg', 'image/png']),
  meta: z
    .object({
      node_id: z.string(),
      prompt_id: z.string(),
      display_node_id: z.string(),
      parent_node_id: z.string().nullable(),
      real_node_id: z.string(),
    })
    .passthrough(),
  image: z.string().base64(),
});

/** ComfyUI's progress text (binary type 3) of a node: kept for the agent log. */
export const ProgressTextRecord = z.object({
  ...base,
  kind: z.literal('progress_text'),
  node: z.string(),
  text: z.string(),
});

/**
 * What the agent itself did or saw: `accepted` (the prompt entered this replica's queue),
 * `cancel` (a marker was obeyed; outcome says how), `previews_thinned` (the byte budget dropped
 * previews), `closed` (the journal of this attempt is complete).
 */
export const AgentRecord = z.object({
  ...base,
  kind: z.literal('agent'),
  event: z.enum(['accepted', 'cancel', 'previews_thinned', 'closed']),
  outcome: z.enum(['interrupted', 'dequeued', 'not_found', 'already_finished']).optional(),
  detail: z.record(z.string(), z.unknown()).default({}),
});

export const JournalRecord = z.discriminatedUnion('kind', [
  MessageRecord,
  PreviewRecord,
  ProgressTextRecord,
  AgentRecord,
]);
export type JournalRecord = z.infer<typeof JournalRecord>;
export type MessageRecord = z.infer<typeof MessageRecord>;
export type PreviewRecord = z.infer<typeof PreviewRecord>;
export type AgentRecord = z.infer<typeof AgentRecord>;

/**
 * One journal file. Records are parsed one by one (a bad record is skipped, the rest kept), so the
 * batch schema leaves them unknown. `n` numbers records across the batches of an attempt.
 */
export const JournalBatch = z.object({
  v: z.literal(AGENT_FORMAT_VERSION),
  job: JobId,
  attempt: Attempt,
  replica: ReplicaId,
  seq: z.number().int().min(1),
  records: z.array(z.unknown()),
});
export type JournalBatch = z.infer<typeof JournalBatch>;

export const HeldJob = z.object({ job: JobId, attempt: Attempt });
export type HeldJob = z.infer<typeof HeldJob>;

/** `replicas/<replicaId>.json`: who the replica is and what it holds, rewritten about every 2 s. */
export const Heartbeat = z.object({
  v: z.literal(AGENT_FORMAT_VERSION),
  replica: ReplicaId,
  /** ms epoch when this ComfyUI process started (a restart under the same id is a new replica). */
  startedAt: z.number(),
  /** ms epoch of this write (the replica's clock: the relay judges liveness by its own clock). */
  at: z.number(),
  /** Increases with every write. */
  beat: z.number().int().min(0),
  comfyui: z.string().max(64),
  agent: z.string().max(32),
  /** Seconds between writes the replica intends. */
  intervalS: z.number().positive(),
  running: HeldJob.extend({
    node: z.string().nullable(),
    progress: z.object({ node: z.string(), value: z.number(), max: z.number() }).nullable(),
  }).nullable(),
  pending: z.array(HeldJob).max(1000),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

/** `<jobId>/.agent/cancel.json`: stop every attempt of the job up to `attempt`. */
export const CancelMarker = z.object({
  v: z.literal(AGENT_FORMAT_VERSION),
  job: JobId,
  attempt: Attempt,
  reason: z.enum(['user', 'superseded', 'timeout']),
  at: z.number(),
});
export type CancelMarker = z.infer<typeof CancelMarker>;
