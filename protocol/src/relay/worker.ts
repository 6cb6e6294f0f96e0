/**
 * @fileoverview The pull-worker protocol: what a GPU box running `comfyume worker` and the relay
 * say over the one WebSocket the worker opens to the relay (`/api/worker/socket`, worker token).
 * Nothing connects in to the worker. Text frames are JSON, one message each, parsed here.
 *
 * Why a long-lived outbound WebSocket rather than long-polls: a job is pushed the moment the
 * scheduler claims it (no poll interval on Queue Prompt → first event), the GPU's own stream
 * (progress, previews) flows on the same connection in order, and a dropped connection is seen at
 * once (pings, kit/socket-liveness.ts), which starts the worker's lease. Output files do not ride
 * the socket: they go by resumable, checksummed HTTP PUTs (`/api/worker/outputs/…`) before the
 * `executed` that names them, so a large file never holds back the job's messages.
 *
 * Every job message carries `seq`, counted per job attempt from 0; after a reconnect the relay
 * sends `run` again for each job it still gives the worker, with the first `seq` it still needs; the
 * worker replays that job's messages from there (a restarted worker process counts on from it), and
 * the relay skips any it already had, so none is lost or doubled.
 */
import { z } from 'zod';

export const WORKER_PROTOCOL = 1;

/** A worker's name, as in its token (`comfyume token --worker <name>`). */
export const WORKER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const JobRef = { jobId: z.string().min(1).max(128), attempt: z.number().int().min(1).max(99) };
const ComfyMessage = z.object({ type: z.string().min(1), data: z.record(z.string(), z.unknown()) });

/** What one job's run on the worker reports, in order. */
export const WorkerJobEvent = z.discriminatedUnion('kind', [
  /** Its ComfyUI did not answer yet (cold start); the worker keeps trying within its budget. */
  z.object({ kind: z.literal('warming_up') }),
  /** POST /prompt answered 200: the GPU has it. */
  z.object({ kind: z.literal('submitted') }),
  /** POST /prompt answered 400: ComfyUI's validation failure as sent. */
  z.object({ kind: z.literal('refused'), body: z.unknown() }),
  /** A message its ComfyUI sent for the job (prompt_id = job id); files already uploaded. */
  z.object({ kind: z.literal('comfy'), message: ComfyMessage }),
  /** The job ended while its messages were missed: its ComfyUI's /history entry (files uploaded). */
  z.object({ kind: z.literal('history'), entry: z.record(z.string(), z.unknown()) }),
  /** The worker could not run it (its ComfyUI unreachable, the job unknown there after a submit). */
  z.object({ kind: z.literal('failed'), message: z.string(), lost: z.boolean() }),
]);
export type WorkerJobEvent = z.infer<typeof WorkerJobEvent>;

export const WorkerToRelay = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.literal(WORKER_PROTOCOL),
    capacity: z.number().int().min(1).max(64),
    /** The class types its ComfyUI has: a job naming another is never given to it. */
    nodes: z.array(z.string()).max(100_000),
    /** Jobs it still runs (after a reconnect), so the relay can tell it to drop moved ones. */
    holding: z.array(z.object(JobRef)).max(1_000),
  }),
  z.object({
    type: z.literal('job'),
    ...JobRef,
    seq: z.number().int().min(0),
    event: WorkerJobEvent,
  }),
  z.object({
    type: z.literal('preview'),
    ...JobRef,
    nodeId: z.string(),
    mime: z.enum(['image/jpeg', 'image/png']),
    /** base64 of the image bytes. */
    image: z.string(),
    meta: z
      .object({
        display_node_id: z.string().optional(),
        parent_node_id: z.string().nullable().optional(),
        real_node_id: z.string().optional(),
      })
      .optional(),
  }),
  z.object({
    type: z.literal('read_result'),
    id: z.number().int(),
    status: z.number().int(),
    body: z.unknown(),
  }),
]);
export type WorkerToRelay = z.infer<typeof WorkerToRelay>;

/** One input file a job reads: fetched from the relay by sha256, placed at `path` on its ComfyUI. */
export const WorkerInput = z.object({ path: z.string(), sha256: z.string() });

export const RelayToWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), worker: z.string(), leaseMs: z.number().int() }),
  z.object({
    type: z.literal('run'),
    ...JobRef,
    /** The prompt with output prefixes already tagged by the relay. */
    prompt: z.record(z.string(), z.unknown()),
    extraData: z.record(z.string(), z.unknown()),
    outputsToExecute: z.array(z.string()),
    inputs: z.array(WorkerInput),
    /** Set when the worker may have it already: look (memory, history, queue) before submitting. */
    resume: z.object({ submitted: z.boolean() }).optional(),
    /** The first `seq` the relay still needs: a worker replays from it, a new worker process counts on from it. */
    fromSeq: z.number().int().min(0),
  }),
  z.object({ type: z.literal('cancel'), ...JobRef }),
  /** The job moved to another worker (or ended): interrupt it on the GPU and forget it. */
  z.object({ type: z.literal('drop'), jobId: JobRef.jobId, reason: z.string() }),
  /** A read-only GET on its ComfyUI (object_info, model listings), answered with read_result. */
  z.object({ type: z.literal('read'), id: z.number().int(), path: z.string() }),
]);
export type RelayToWorker = z.infer<typeof RelayToWorker>;

/** The relay's HTTP paths for a worker's files (worker token only). */
export const workerPaths = {
  socket: '/api/worker/socket',
  /** PUT (bytes from ?offset=) / GET (how many bytes it holds) one output file of a job attempt. */
  output: (jobId: string, attempt: number, type: 'output' | 'temp', name: string) =>
    `/api/worker/outputs/${encodeURIComponent(jobId)}/${attempt}/${type}?name=${encodeURIComponent(name)}`,
  input: (jobId: string, sha256: string) =>
    `/api/worker/inputs/${encodeURIComponent(jobId)}/${sha256}`,
};

/** Headers of an output upload: the whole file's size and sha256 (hex), checked on its last byte. */
export const WORKER_UPLOAD_HEADERS = { size: 'x-comfyume-size', sha256: 'x-comfyume-sha256' };
