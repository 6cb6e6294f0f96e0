/**
 * @fileoverview Relay REST API bodies (sidecar ⇄ relay, CLI ⇄ relay, admin ⇄ relay).
 *
 * Auth on every route but /health: `Authorization: Bearer <token>`, where a user token is
 * `<userId>.<base64url HMAC-SHA256(RELAY_SECRET, userId)>` and the admin token is ADMIN_TOKEN.
 *
 *   POST   /api/jobs                      SubmitJobRequest → 201 {job} (200 {job} when the id exists with the same prompt)
 *                                        (`cachedFrom`/`failure`: the job is created finished and never reaches a GPU)
 *   GET    /api/jobs?state=a,b&user=u&limit=&offset=&prompts=1 → JobList (own jobs; admin: all, `user` filters),
 *                                        newest first, one page; prompt/extraData only with prompts=1 (or its old name full=1)
 *   GET    /api/jobs/:id                  → {job} (full)
 *   DELETE /api/jobs/:id[?onlyIf=a,b]    → CancelJobResponse {job, before, cancelled} (queued → cancelled and removed from the queue;
 *                                        running → interrupted on the GPU; `onlyIf`: only when its state is one of these, atomically)
 *   PATCH  /api/jobs/:id/priority         {lane} (admin) → {job}
 *   PUT    /api/inputs/:sha256            raw bytes of an input file (content-addressed; 204 when stored)
 *   GET    /api/view?filename=&subfolder=&type=output|temp   → the file from the caller's own output store
 *   GET    /api/object_info[?fresh=1]     → the GPU's /object_info (cached; fresh=1 asks the GPU now, bounded,
 *                                        once per user per OBJECT_INFO_REFRESH_PER_USER_MS, else the newest copy)
 *   GET    /api/gpu/{models,models/:folder,embeddings,experiment/models,experiment/models/:folder}
 *                                        → the GPU's own answer to that ComfyUI route (cached like object_info)
 *   GET    /api/queue/status              → QueueStatus
 *   GET    /health, /api/health           → Health (no auth)
 *   WS     /api/events?since=<eventId>    → RelayEvent frames (see events.ts); Bearer token in the upgrade
 */
import { z } from 'zod';
import { BackendKind, JobError, JobId, JobState, JobView, Lane } from './job';

/** A backend's readiness, as /api/queue, the dashboard and the relay's metrics report it. */
export const BackendState = z.enum(['ready', 'warming_up', 'degraded', 'down']);
export type BackendState = z.infer<typeof BackendState>;

/** An input file referenced by the prompt (e.g. LoadImage `image: "sub/cat.png"`), uploaded first via PUT /api/inputs. */
export const JobInput = z.object({
  /** The value as it appears in the prompt, without an annotation: `cat.png` or `sub/cat.png`. */
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type JobInput = z.infer<typeof JobInput>;

/** A run-time failure ComfyUI would have before any GPU work (a save prefix outside the output folder). */
export const SubmitFailure = z.object({
  /** ComfyUI's execution_error, as the attendee's version words it. */
  error: JobError,
  /** The nodes ComfyUI runs, in order, before the failing one. */
  executedNodes: z.array(z.string()),
});
export type SubmitFailure = z.infer<typeof SubmitFailure>;

export const SubmitJobRequest = z
  .object({
    jobId: JobId, // minted by the sidecar: a retried submit with the same id is one job
    /** The id the attendee's client chose for it (POST /prompt `prompt_id`), when it chose one. */
    promptId: z.string().min(1).max(256).optional(),
    clientId: z.string().default(''),
    prompt: z.record(z.string(), z.unknown()), // ComfyUI API prompt, already validated
    extraData: z.record(z.string(), z.unknown()).default({}), // extra_pnginfo (workflow), preview_method …
    outputsToExecute: z.array(z.string()).optional(), // validated output node ids; all outputs when absent
    number: z.number().optional(), // the queue number the sidecar answered to the browser
    front: z.boolean().optional(),
    inputs: z.array(JobInput).default([]),
    /**
     * Answer it from ComfyUI's cache: a finished job of the same user with the same prompt and inputs
     * whose outputs are still stored. The job is created done (every node cached, that job's
     * outputs) and never reaches a GPU. When that job is not the caller's, not done, another prompt,
     * or its outputs are gone, this is ignored and the job runs.
     */
    cachedFrom: JobId.optional(),
    /** Create the job failed with this error, as ComfyUI would fail it, without reaching a GPU. */
    failure: SubmitFailure.optional(),
  })
  .refine((r) => !(r.cachedFrom && r.failure), {
    message: 'cachedFrom and failure exclude each other',
    path: ['failure'],
  });
export type SubmitJobRequest = z.input<typeof SubmitJobRequest>;

export const JobResponse = z.object({ job: JobView });
export type JobResponse = z.infer<typeof JobResponse>;

/** A list of job states in a query (`state=a,b`, `onlyIf=a,b`). */
const StateList = z
  .string()
  .transform((s) => s.split(',').filter(Boolean))
  .pipe(z.array(JobState));

/** DELETE /api/jobs/:id's query: `onlyIf` leaves a job in any other state alone (a queue delete never interrupts). */
export const CancelJobQuery = z.object({ onlyIf: StateList.optional() });

/**
 * DELETE /api/jobs/:id's answer: the job after the call, its state when the call arrived (read in
 * the same atomic step), and whether this call cancelled it or asked its GPU to interrupt it
 * (false: it had already finished, or `onlyIf` did not match).
 */
export const CancelJobResponse = JobResponse.extend({ before: JobState, cancelled: z.boolean() });
export type CancelJobResponse = z.infer<typeof CancelJobResponse>;

export const JobList = z.object({
  jobs: z.array(JobView),
  total: z.number().int().nonnegative(),
});
export type JobList = z.infer<typeof JobList>;

export const PriorityRequest = z.object({ lane: Lane });

export const ListJobsQuery = z.object({
  state: StateList.optional(),
  user: z.string().optional(),
  limit: z.coerce.number().int().positive().max(1000).optional(),
  offset: z.coerce.number().int().nonnegative().default(0),
  /** Include each job's prompt and extraData (large: the API prompt and the whole workflow). */
  prompts: z
    .enum(['0', '1', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .optional(),
  /** The old name of `prompts`. */
  full: z
    .enum(['0', '1', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .optional(),
});

export const QueueStatus = z.object({
  queued: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  byUser: z.record(z.string(), z.object({ queued: z.number(), running: z.number() })).optional(), // admin only
  /** Median measured run time used for ETAs; absent until a job has finished. */
  typicalRunMs: z.number().optional(),
  /** Admin only: set once this relay saw Redis lose its data (as on /health), for the dashboard's alert. */
  redisDataLost: z.object({ detectedAt: z.number(), message: z.string() }).optional(),
  backends: z.array(
    z.object({
      name: z.string(),
      kind: BackendKind,
      state: BackendState,
      running: z.number(),
      capacity: z.number(),
      /**
       * Admin only, pull workers (`worker:<name>`): the jobs this relay runs on the box now and
       * when it was last heard from (a frame on its socket, its uploads; ms epoch).
       */
      jobs: z.array(z.string()).optional(),
      lastSeenAt: z.number().optional(),
    }),
  ),
});
export type QueueStatus = z.infer<typeof QueueStatus>;

export const Health = z.object({
  ok: z.boolean(),
  redis: z.enum(['up', 'down']),
  inferenceMode: BackendKind,
  backends: QueueStatus.shape.backends,
  queueDepth: z.number(),
  uptimeS: z.number(),
  version: z.string(),
  /** Redis's persistence as last checked (`unknown`: CONFIG refused, as on managed services). */
  redisPersistence: z.enum(['aof', 'rdb', 'none', 'unknown']).optional(),
  /** Set once this relay saw Redis lose its data (the workshop marker key vanished): what happened and what to do. */
  redisDataLost: QueueStatus.shape.redisDataLost,
});
export type Health = z.infer<typeof Health>;

export { JobId };
