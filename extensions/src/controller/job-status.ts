/**
 * @fileoverview Wires the shared job state to this tab: mounts the banner, feeds the worker,
 * re-renders once a second (elapsed times), renders the tracker tab, toasts new failures.
 */
import type { ComfyApi, ComfyApp } from '@comfyorg/comfyui-frontend-types';
import { describeBanner } from '../state/banner-text';
import { isFinal, jobList, type JobsState } from '../state/jobs-state';
import type { ThumbFile } from '../state/job-rows';
import { Comlink, startJobWorker, type JobHubHandle } from '../worker/jobs-client';
import type { BufferedSink } from './job-feed';
import { cancelJob, requeueJob } from './job-actions';
import type { StatusBanner } from '../components/status-banner/status-banner';
import type { JobTracker } from '../components/job-tracker/job-tracker';

export const BANNER_SETTING = 'Comfyume.Banner.Enabled';

declare global {
  interface Window {
    comfyumeJobs?: { shared: boolean; tabCount: () => Promise<number>; jobs: () => Promise<ReturnType<typeof jobList>> };
  }
}

export class JobStatus {
  private state: JobsState | undefined;
  private sending = 0;
  private readonly banner: StatusBanner;
  private readonly trackers = new Set<JobTracker>();
  private readonly tabId = crypto.randomUUID();
  private readonly worker: JobHubHandle;
  private readonly toasted = new Set<string>();
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly app: ComfyApp,
    private readonly api: ComfyApi,
    private readonly feed: BufferedSink,
  ) {
    this.banner = document.createElement('comfyume-status-banner');
    this.worker = startJobWorker();
  }

  async start(): Promise<void> {
    document.body.append(this.banner);
    this.setBannerEnabled(this.app.extensionManager?.setting?.get(BANNER_SETTING) !== false);
    const hub = this.worker.hub;
    // Absolute URL: the worker resolves relative URLs against its own script URL.
    const apiBase = new URL(this.api.apiURL(''), location.href).href.replace(/\/$/, '');
    const user = (this.api as { user?: string }).user;
    await hub.configure({ apiBase, headers: user ? { 'Comfy-User': user } : {} });
    this.feed.attach({
      dispatch: (action) => hub.dispatch(action),
      setSocket: (open) => hub.setSocket(this.tabId, open),
      sending: (n) => {
        const more = n > this.sending;
        this.sending = n;
        // Fewer: the job that ended "Sending" is on its way back from the worker, and its state
        // update renders; rendering now would flash the previous outcome for a moment.
        if (more || n === 0) this.renderSoon(more);
      },
    });
    const initial = await hub.attach(this.tabId, Comlink.proxy((s: JobsState) => this.onState(s)));
    // Failures already known before this tab opened were toasted where they happened.
    for (const job of Object.values(initial.jobs)) if (job.state === 'failed') this.toasted.add(job.id);
    this.onState(initial);
    const socket = (this.api as { socket?: WebSocket | null }).socket;
    if (socket?.readyState === WebSocket.OPEN) void hub.setSocket(this.tabId, true);
    addEventListener('pagehide', () => void hub.detach(this.tabId));
    // A small diagnostic handle (tests, and support staff in a live workshop's devtools).
    window.comfyumeJobs = {
      shared: this.worker.shared,
      tabCount: () => hub.tabCount(),
      jobs: async () => jobList(await hub.getState()),
    };
    this.ticker = setInterval(() => this.render(), 1000);
  }

  setBannerEnabled(on: boolean): void {
    this.banner.hidden = !on;
  }

  /** Renders the tracker into a sidebar tab's element. */
  mountTracker(el: HTMLElement): void {
    const tracker = document.createElement('comfyume-job-tracker');
    tracker.thumbUrl = (f: ThumbFile) =>
      this.api.apiURL(`/view?filename=${encodeURIComponent(f.filename)}&type=${encodeURIComponent(f.type)}&subfolder=${encodeURIComponent(f.subfolder)}`);
    tracker.nodeTitle = (id) => this.nodeTitle(id);
    tracker.addEventListener('comfyume-job-cancel', (e) => void this.cancel(e.detail.id));
    tracker.addEventListener('comfyume-job-requeue', (e) => void this.requeue(e.detail.id));
    el.replaceChildren(tracker);
    el.style.height = '100%';
    this.trackers.add(tracker);
    this.render();
  }

  unmountTracker(): void {
    this.trackers.clear();
  }

  private nodeTitle(id: string): string | undefined {
    const graph = this.app.graph as unknown as { getNodeById(id: number | string): { title?: string } | null } | undefined;
    const node = graph?.getNodeById(/^\d+$/.test(id) ? Number(id) : id);
    return node?.title || undefined;
  }

  private onState(state: JobsState): void {
    this.state = state;
    for (const job of Object.values(state.jobs)) {
      if (job.state !== 'failed' || this.toasted.has(job.id)) continue;
      this.toasted.add(job.id);
      const where = job.error?.nodeId ? ` (in ${this.nodeTitle(job.error.nodeId) ?? job.error.nodeType} #${job.error.nodeId})` : '';
      this.app.extensionManager?.toast?.add({
        severity: 'error',
        summary: 'GPU job failed',
        detail: `${job.error?.message ?? 'The job failed'}${where}`,
        life: 8000,
      });
    }
    this.render();
  }

  private renderTimer: ReturnType<typeof setTimeout> | undefined;

  /** Renders now, or after the worker's next state (at most 1 s later) when `now` is false. */
  private renderSoon(now: boolean): void {
    if (now) return this.render();
    clearTimeout(this.renderTimer);
    this.renderTimer = setTimeout(() => this.render(), 1_000);
  }

  private render(): void {
    clearTimeout(this.renderTimer);
    const state = this.state;
    if (!state) return;
    const now = Date.now();
    const jobs = jobList(state);
    this.banner.view = describeBanner({ jobs, now, sending: this.sending, relay: state.relay, nodeTitle: (id) => this.nodeTitle(id) });
    const active = jobs.filter((j) => !isFinal(j.state)).length;
    for (const tracker of this.trackers) {
      if (!tracker.isConnected) {
        this.trackers.delete(tracker);
        continue;
      }
      tracker.jobs = jobs;
      tracker.now = now;
      tracker.status = state.socketOpen ? `live · ${active} active` : 'socket down · polling';
      tracker.statusBad = !state.socketOpen;
    }
  }

  private async cancel(id: string): Promise<void> {
    const job = this.state?.jobs[id];
    if (!job) return;
    try {
      await cancelJob(this.api, job);
    } catch (err) {
      this.app.extensionManager?.toast?.add({ severity: 'error', summary: 'Cancel failed', detail: String(err), life: 5000 });
    }
    void this.worker.hub.poll();
  }

  private async requeue(id: string): Promise<void> {
    try {
      await requeueJob(this.api, id);
    } catch (err) {
      this.app.extensionManager?.toast?.add({ severity: 'error', summary: 'Re-run failed', detail: String(err), life: 5000 });
    }
    void this.worker.hub.poll();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.banner.remove();
    this.worker.close();
  }
}
