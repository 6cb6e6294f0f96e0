/**
 * @fileoverview What the sequence is made from: a job's facts. Three sources, in the order they
 * happened (one user's event stream keeps that order):
 *  - the job record (a relay `job` event, or the sidecar's own submit): state, outputs, cached and
 *    executed nodes, the error — a terminal record is the fact "the job ended";
 *  - what the GPU itself said (a relay `comfy` event): forwarded verbatim, prompt_id = job id;
 *  - evidence the relay established without a GPU message (a relay `fact` event): the job started,
 *    a node is running (one of its files appeared), a node's output is stored.
 */
import { z } from 'zod';
import { NodeUiOutput, type JobView } from '../../relay/job';

export const JobFact = z.discriminatedUnion('kind', [
  /** The GPU has the prompt and is working on it (no GPU message says so). */
  z.object({ kind: z.literal('started'), at: z.number().int() }),
  /** A node is running now (e.g. its first file appeared); the node running before it has finished. */
  z.object({ kind: z.literal('node_running'), nodeId: z.string().min(1) }),
  /** A node's UI output so far, files already in the user's store (cumulative, as ComfyUI's one `executed`). */
  z.object({ kind: z.literal('output'), nodeId: z.string().min(1), output: NodeUiOutput }),
]);
export type JobFact = z.infer<typeof JobFact>;

/** The record fields the sequence reads (a relay job snapshot has them all). */
export type JobRecord = Omit<JobView, 'prompt' | 'extraData'>;

export type ComfyMessage = { type: string; data: Record<string, unknown> };

export type SequenceInput =
  /** The sidecar accepted a prompt (ComfyUI's enqueue). */
  | { kind: 'submitted'; job: JobRecord }
  /** The relay's job record changed. */
  | { kind: 'record'; job: JobRecord }
  /** A ComfyUI message the GPU sent for the job. */
  | { kind: 'gpu'; jobId: string; clientId: string; message: ComfyMessage }
  | { kind: 'evidence'; jobId: string; clientId: string; fact: JobFact };

/** What the sequence sends: a `status` broadcast (queue_remaining of this user's remote jobs), or a job's message to its tab. */
export type Emission =
  | { kind: 'status'; remoteRemaining: number }
  | { kind: 'message'; jobId: string; clientId: string; message: ComfyMessage };
