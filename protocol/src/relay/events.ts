/**
 * @fileoverview Events on the relay's WebSocket (`/api/events`), relay → sidecar (and CLI, admin).
 *
 * Text frames are JSON `RelayEvent`s. Each carries `id`, the Redis stream id it was stored under:
 * a client reconnecting with `?since=<last id>` gets everything after it, so nothing is lost over
 * a reconnect or a relay restart. The stream is per user (admin connections see all users).
 *
 * Binary frames are live previews and are not replayed: exactly ComfyUI's type-4 layout
 * (`[uint32 4][uint32 N][N bytes JSON metadata][image bytes]`, see protocol/comfy/ws-binary) whose
 * metadata `prompt_id` is the job id. Previews may be dropped under back-pressure; text never is.
 */
import { z } from 'zod';
import { JobFact } from '../comfy/sequence/facts';
import { JobId, JobView } from './job';

/** A job snapshot after any change: state, queue position, ETA, cold start, progress. */
export const JobEvent = z.object({
  id: z.string(),
  type: z.literal('job'),
  job: JobView.omit({ prompt: true, extraData: true }),
});

/**
 * A ComfyUI WS message the GPU itself sent for the job (verbatim, but `prompt_id` is the job id,
 * node ids are the user's, and files named in `executed` are already in the user's output store).
 * The relay never makes these up: the sidecar's sequence (protocol/comfy/sequence) writes what the
 * GPU did not say from the job record and `fact` events, and computes `status` for its own user.
 */
export const ComfyEvent = z.object({
  id: z.string(),
  type: z.literal('comfy'),
  jobId: JobId,
  clientId: z.string(),
  message: z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) }),
});

/** Evidence the relay established about the job without a GPU message (serverless without its agent). */
export const FactEvent = z.object({
  id: z.string(),
  type: z.literal('fact'),
  jobId: JobId,
  clientId: z.string(),
  fact: JobFact,
});

export const RelayEvent = z.discriminatedUnion('type', [JobEvent, ComfyEvent, FactEvent]);
export type RelayEvent = z.infer<typeof RelayEvent>;
export type JobEvent = z.infer<typeof JobEvent>;
export type ComfyEvent = z.infer<typeof ComfyEvent>;
export type FactEvent = z.infer<typeof FactEvent>;

/**
 * Messages the sidecar adds to the browser socket beside ComfyUI's own, for our extensions: only
 * to sockets whose page announced itself with `comfyume.hello` (a stock page never gets them).
 */
export const ComfyumeJobMessage = z.object({
  type: z.literal('comfyume.job'),
  data: JobEvent.shape.job,
});
export const ComfyumeConnectionMessage = z.object({
  type: z.literal('comfyume.relay'),
  data: z.object({
    connected: z.boolean(),
    message: z.string().optional(),
    /**
     * Set once the relay reported that its Redis lost its data (restarted without persistence,
     * flushed): when it was seen (epoch ms) and what it means for the attendee. Older extensions
     * ignore it; older sidecars never send it.
     */
    dataLost: z.object({ detectedAt: z.number(), message: z.string() }).optional(),
  }),
});
export const ComfyumeMessage = z.discriminatedUnion('type', [
  ComfyumeJobMessage,
  ComfyumeConnectionMessage,
]);
export type ComfyumeMessage = z.infer<typeof ComfyumeMessage>;

/**
 * Sent by a page running our extension on its ComfyUI socket after each (re)connect. The sidecar then
 * sends that socket our `comfyume.*` messages (a stock page never receives them) and never forwards
 * this frame to ComfyUI.
 */
export const ComfyumeHello = z.object({
  type: z.literal('comfyume.hello'),
  data: z.object({ extension: z.string().max(64) }),
});
export type ComfyumeHello = z.infer<typeof ComfyumeHello>;
