/**
 * @fileoverview The message sequence of one user's jobs: the job records (what `status` counts) and
 * each job's timeline (job-timeline.ts), fed with the user's facts in stream order and returning
 * what a local ComfyUI of the attendee's version would send — `status` frames with this user's
 * queue_remaining included. Pure: no sockets, files or clocks; its state can be saved and restored.
 */
import { compareStreamIds } from '../../relay/stream-id';
import { isTerminal } from '../../relay/job';
import type { ComfyMessage, Emission, JobRecord, SequenceInput } from './facts';
import { JobTimeline, newTimeline, type Step, type TimelineState } from './job-timeline';
import { parseComfyVersion, sequenceTraits, type SequenceTraits } from './version';

/** Ended timelines kept (so replayed events of a finished job stay ignored); the oldest go first. */
const MAX_ENDED = 500;

export type BookSnapshot = { timelines: TimelineState[] };

export class SequenceBook {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly timelines = new Map<string, TimelineState>();
  private traits: SequenceTraits;

  constructor(version?: string, snapshot?: BookSnapshot) {
    this.traits = sequenceTraits(parseComfyVersion(version));
    for (const state of snapshot?.timelines ?? []) this.timelines.set(state.jobId, state);
  }

  /** The attendee's ComfyUI version (from its `/system_stats`), for what comes next. */
  setVersion(version: string | undefined): void {
    this.traits = sequenceTraits(parseComfyVersion(version));
  }

  /** This user's remote jobs that ComfyUI would count in queue_remaining (pending + running). */
  activeCount(): number {
    return this.activeJobs().length;
  }

  activeJobs(): JobRecord[] {
    return [...this.jobs.values()].filter((job) => !isTerminal(job.state));
  }

  job(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  /** The tab a live job's previews go to; undefined once the job ended (or for a job this user does not have). */
  liveClient(jobId: string): string | undefined {
    const state = this.timelines.get(jobId);
    if (state?.ended) return undefined;
    return state?.clientId ?? this.jobs.get(jobId)?.clientId;
  }

  /**
   * After a (re)connect to the relay: its list of active jobs replaces ours. A job we already saw
   * end stays ended: the list was asked for before its end reached us, and must not revive it. A job
   * we meet here first (its submit answer still on its way) is announced by the `status` the
   * changed count sends, so its submit does not announce it twice.
   */
  seed(active: readonly JobRecord[]): void {
    const before = new Set(this.jobs.keys());
    for (const [id, job] of this.jobs) if (!isTerminal(job.state)) this.jobs.delete(id);
    for (const job of active) {
      const known = this.jobs.get(job.id);
      if (known && isTerminal(known.state)) continue;
      this.jobs.set(job.id, job);
      if (!before.has(job.id)) this.timelineState(job.id, job.clientId).announced = true;
    }
  }

  /** One fact, in stream order; `eventId` (the relay event's id) makes replays after a restart harmless. */
  apply(input: SequenceInput, eventId?: string): Emission[] {
    const jobId =
      input.kind === 'submitted' || input.kind === 'record' ? input.job.id : input.jobId;
    const clientId =
      input.kind === 'submitted' || input.kind === 'record' ? input.job.clientId : input.clientId;
    const state = this.timelineState(jobId, clientId);
    if (eventId && state.lastEventId && compareStreamIds(eventId, state.lastEventId) <= 0)
      return [];
    if (eventId) state.lastEventId = eventId;
    const timeline = new JobTimeline(state, this.traits);
    const record = this.jobs.get(jobId);
    let steps: Step[];
    switch (input.kind) {
      case 'submitted':
        this.jobs.set(jobId, input.job);
        steps = timeline.enqueue();
        break;
      case 'record':
        this.jobs.set(jobId, input.job);
        steps = [...timeline.enqueue(), ...timeline.end(input.job, this.pendingBesides(jobId))];
        break;
      case 'gpu':
        steps = timeline.gpu(input.message, record);
        if (state.pendingTerminal && record && isTerminal(record.state))
          steps.push(...timeline.end(record, this.pendingBesides(jobId)));
        break;
      case 'evidence':
        steps = timeline.evidence(input.fact, record);
        break;
    }
    if (state.ended) this.prune();
    return this.emissions(jobId, state, steps);
  }

  /** ComfyUI's words to a tab reconnecting with this client id while one of its jobs runs. */
  reconnectFrames(clientId: string): ComfyMessage[] {
    const frames: ComfyMessage[] = [];
    for (const state of this.timelines.values()) {
      if (state.clientId !== clientId) continue;
      const frame = new JobTimeline(state, this.traits).reconnectFrame();
      if (frame) frames.push(frame);
    }
    return frames;
  }

  snapshot(): BookSnapshot {
    return { timelines: structuredClone([...this.timelines.values()]) };
  }

  private timelineState(jobId: string, clientId: string): TimelineState {
    let state = this.timelines.get(jobId);
    if (!state) this.timelines.set(jobId, (state = newTimeline(jobId, clientId)));
    else if (!state.clientId && clientId) state.clientId = clientId;
    return state;
  }

  /** Other jobs of this user still waiting (queued, not started). */
  private pendingBesides(jobId: string): number {
    let n = 0;
    for (const job of this.activeJobs())
      if (job.id !== jobId && !this.timelines.get(job.id)?.started && job.startedAt === undefined)
        n++;
    return n;
  }

  private emissions(jobId: string, state: TimelineState, steps: Step[]): Emission[] {
    const others = this.activeJobs().filter((job) => job.id !== jobId).length;
    return steps.map((step) =>
      step.kind === 'status'
        ? {
            kind: 'status',
            remoteRemaining: others + (step.selfActive && this.jobs.has(jobId) ? 1 : 0),
          }
        : { kind: 'message', jobId, clientId: state.clientId, message: step.message },
    );
  }

  /** Forget the oldest ended timelines (and their finished records) once there are too many. */
  private prune(): void {
    let ended = 0;
    for (const state of this.timelines.values()) if (state.ended) ended++;
    if (ended <= MAX_ENDED) return;
    for (const [id, state] of this.timelines) {
      if (ended <= MAX_ENDED / 2) break;
      if (!state.ended) continue;
      this.timelines.delete(id);
      if (isTerminal(this.jobs.get(id)?.state ?? 'queued')) this.jobs.delete(id);
      ended--;
    }
  }
}
