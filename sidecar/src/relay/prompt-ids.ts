/**
 * @fileoverview Prompt ids a client chose (`POST /prompt {prompt_id}`) are names for this user only.
 * The relay's job ids are global (a GPU sees them), so a client-chosen id is never used as one: the
 * job gets a fresh id and keeps the client's as `promptId`, and everything above the relay client
 * sees only the client's name — in answers, history, jobs, events and previews. So an id that
 * another user's job already has gets exactly the answer an unused one gets (nothing tells them it
 * exists), and a 0.8 ComfyUI's verbatim, non-UUID ids work. Ids map both ways here, persisted in
 * the state file (bounded) and re-learnt from every job the relay lists.
 */
import {
  decodeBinaryFrame,
  encodePreviewWithMetadata,
} from '../../../protocol/src/comfy/ws-binary';
import type { RelayEvent } from '../../../protocol/src/relay/events';
import type { JobView } from '../../../protocol/src/relay/job';
import type { StateStore } from '../state/state-store';
import type { RelayClient } from './relay-client';

type Named = {
  id: string;
  promptId?: string;
  statusMessages?: [string, Record<string, unknown>][];
};

export type PromptIds = {
  /** The id the client knows a relay job by. */
  clientFacing(jobId: string): string;
  /** The relay job id behind an id the client sent (itself when it is not a client-chosen name). */
  jobIdFor(id: string): string;
  /** A job view as the client sees it (and its names learnt). */
  view<T extends Named>(job: T): T;
  /** A relay event as the client sees it. */
  event(event: RelayEvent): RelayEvent;
  /** A type-4 preview frame as the client sees it. */
  preview(frame: Uint8Array): Uint8Array;
};

export function createPromptIds(state: StateStore): PromptIds {
  const byPrompt = new Map<string, string>();
  for (const [jobId, promptId] of Object.entries(state.promptIds)) byPrompt.set(promptId, jobId);

  const learn = (jobId: string, promptId: string) => {
    if (state.promptIds[jobId] === promptId) return;
    state.setPromptId(jobId, promptId);
    byPrompt.set(promptId, jobId); // the newest job with that name wins, as ComfyUI's history would
  };
  const clientFacing = (jobId: string) => state.promptIds[jobId] ?? jobId;
  const rename = (data: Record<string, unknown>, jobId: string, name: string) =>
    data.prompt_id === jobId ? { ...data, prompt_id: name } : data;

  const view = <T extends Named>(job: T): T => {
    if (!job.promptId) return job;
    learn(job.id, job.promptId);
    const name = job.promptId;
    const statusMessages = job.statusMessages?.map(
      ([type, data]) => [type, rename(data, job.id, name)] as [string, Record<string, unknown>],
    );
    return { ...job, id: name, ...(statusMessages ? { statusMessages } : {}) };
  };

  return {
    clientFacing,
    jobIdFor: (id) => byPrompt.get(id) ?? id,
    view,
    event(event) {
      if (event.type === 'job') return { ...event, job: view(event.job) };
      const name = clientFacing(event.jobId);
      if (name === event.jobId) return event;
      if (event.type === 'fact') return { ...event, jobId: name };
      return {
        ...event,
        jobId: name,
        message: { ...event.message, data: rename(event.message.data, event.jobId, name) },
      } as RelayEvent;
    },
    preview(frame) {
      const decoded = decodeBinaryFrame(frame);
      if (decoded.kind !== 'preview_with_metadata') return frame;
      const name = clientFacing(String(decoded.meta.prompt_id));
      if (name === decoded.meta.prompt_id) return frame;
      return encodePreviewWithMetadata(decoded.image, { ...decoded.meta, prompt_id: name });
    },
  };
}

/** The relay client as the layers above see it: client-facing ids in, client-facing ids out. */
export function withPromptIds(relay: RelayClient, ids: PromptIds): RelayClient {
  const view = (job: JobView) => ids.view(job);
  return {
    ...relay,
    async submitJob(request) {
      return view(await relay.submitJob(request));
    },
    async listJobs(query) {
      const list = await relay.listJobs(query);
      return { ...list, jobs: list.jobs.map(view) };
    },
    async getJob(id) {
      const job = await relay.getJob(ids.jobIdFor(id));
      return job && view(job);
    },
    async cancelJob(id, onlyIf) {
      const answer = await relay.cancelJob(ids.jobIdFor(id), onlyIf);
      return answer && { ...answer, job: view(answer.job) };
    },
  };
}
