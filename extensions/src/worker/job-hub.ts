/**
 * @fileoverview The job state shared by all tabs of one attendee: tabs forward their socket events
 * in, the hub polls the server while no tab has a live socket (and slowly while jobs are active, so
 * a finished job is never missed), persists to storage, and pushes every new state to the tabs.
 * Runs inside the SharedWorker (or a per-tab Worker); no DOM, injected fetch/storage/clock.
 */
import {
  initialJobsState,
  isFinal,
  jobsReducer,
  type JobsAction,
  type JobsState,
  type TrackedJob,
} from '../state/jobs-state';
import { JobSource, type FetchLike } from './job-source';

export interface JobStorage {
  load(key: string): Promise<TrackedJob[] | undefined>;
  save(key: string, jobs: TrackedJob[]): Promise<void>;
}

export type HubDeps = {
  fetch: FetchLike;
  storage?: JobStorage;
  now?: () => number;
  /** Poll intervals in ms: socket down, socket up with active jobs, socket up and idle. */
  intervals?: { down: number; active: number; idle: number };
};

export type HubConfig = { apiBase: string; headers?: Record<string, string> };
export type Listener = (state: JobsState) => unknown;

const defaultIntervals = { down: 2_000, active: 15_000, idle: 60_000 };

export class JobHub {
  private state: JobsState = initialJobsState();
  private readonly tabs = new Map<string, { listener: Listener; socketOpen: boolean }>();
  private source: JobSource | undefined;
  private storageKey = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private savePending = false;
  private ready: Promise<void> | undefined;
  private polling = false;
  private readonly now: () => number;
  private readonly intervals: { down: number; active: number; idle: number };
  /** Why the last poll failed, for the tracker's footer; cleared by the next success. */
  private lastPollError: string | undefined;

  constructor(private readonly deps: HubDeps) {
    this.now = deps.now ?? Date.now;
    this.intervals = deps.intervals ?? defaultIntervals;
  }

  /** The first tab's configuration wins: every tab of one attendee has the same API root. */
  configure(config: HubConfig): Promise<void> {
    if (!this.ready) {
      this.source = new JobSource(config.apiBase, this.deps.fetch, config.headers);
      this.storageKey = config.apiBase;
      this.ready = this.restore();
    }
    return this.ready;
  }

  private async restore(): Promise<void> {
    const stored = await this.deps.storage?.load(this.storageKey).catch(() => undefined);
    if (stored?.length) this.apply({ type: 'restore', jobs: stored });
    void this.poll();
  }

  attach(tabId: string, listener: Listener): JobsState {
    this.tabs.set(tabId, { listener, socketOpen: this.tabs.get(tabId)?.socketOpen ?? false });
    this.schedule();
    return this.state;
  }

  detach(tabId: string): void {
    this.tabs.delete(tabId);
    this.updateSocket();
    if (this.tabs.size === 0 && this.timer) clearTimeout(this.timer);
  }

  setSocket(tabId: string, open: boolean): void {
    const tab = this.tabs.get(tabId);
    if (tab) tab.socketOpen = open;
    this.updateSocket();
    // A socket that just (re)opened may have missed events while it was down: catch up now.
    if (open) void this.poll();
  }

  private updateSocket(): void {
    const open = [...this.tabs.values()].some((t) => t.socketOpen);
    this.apply({ type: 'socket', open });
  }

  dispatch(action: JobsAction): void {
    this.apply(action);
  }

  tabCount(): number {
    return this.tabs.size;
  }

  getState(): JobsState {
    return this.state;
  }

  /** Reads the lists now; never throws (the next poll retries). */
  async poll(): Promise<void> {
    if (!this.source || this.polling) return;
    this.polling = true;
    try {
      const lists = await this.source.fetchLists();
      this.lastPollError = undefined;
      this.apply({ type: 'poll', active: lists.active, finished: lists.finished, at: this.now() });
    } catch (err) {
      this.lastPollError = err instanceof Error ? err.message : String(err);
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  pollError(): string | undefined {
    return this.lastPollError;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.source || this.tabs.size === 0) return;
    const active = Object.values(this.state.jobs).some((j) => !isFinal(j.state));
    const ms = !this.state.socketOpen
      ? this.intervals.down
      : active
        ? this.intervals.active
        : this.intervals.idle;
    this.timer = setTimeout(() => void this.poll(), ms);
  }

  private apply(action: JobsAction): void {
    const next = jobsReducer(this.state, action);
    if (next === this.state) return;
    const wasActive = Object.values(this.state.jobs).some((j) => !isFinal(j.state));
    this.state = next;
    for (const [tabId, tab] of this.tabs) {
      // A closed tab's Comlink proxy rejects or never answers; drop it on rejection.
      Promise.resolve()
        .then(() => tab.listener(next))
        .catch(() => this.tabs.delete(tabId));
    }
    const isActive = Object.values(next.jobs).some((j) => !isFinal(j.state));
    if (wasActive !== isActive || action.type === 'socket') this.schedule();
    this.persistSoon();
  }

  /**
   * Saves at the end of the current task: the worker may be terminated right after the last tab
   * closes (a reload), so a longer debounce would lose the last change.
   */
  private persistSoon(): void {
    if (!this.deps.storage || this.savePending) return;
    this.savePending = true;
    queueMicrotask(() => {
      this.savePending = false;
      void this.deps.storage
        ?.save(this.storageKey, Object.values(this.state.jobs))
        .catch(() => undefined);
    });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.tabs.clear();
  }
}
