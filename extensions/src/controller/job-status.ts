/**
 * @fileoverview Wires the shared job state to this tab: feeds the worker, turns its state into
 * what the banner and every tracker show (re-computed once a second for elapsed times), toasts new
 * failures, and carries out the tracker's cancel / re-run.
 *
 * The banner and the trackers are not pushed to: each subscribes to a LiveValue while it is in
 * the document (live-value.ts), so a tracker the host mounts late, moves, or mounts again is
 * always current, and one it threw away is released.
 */
import type { ComfyApi, ComfyApp } from '@comfyorg/comfyui-frontend-types';
import { describeBanner, type BannerView } from '../state/banner-text';
import { isFinal, jobList, type JobsState, type TrackedJob } from '../state/jobs-state';
import type { ThumbFile } from '../state/job-rows';
import { Comlink, startJobWorker, type JobHubHandle } from '../worker/jobs-client';
import type { BufferedSink } from './job-feed';
import { cancelJob, requeueJob } from './job-actions';
import { readGalleryOptOut, setGalleryOptOut } from './gallery-opt-out';
import { bindWhileConnected, LiveValue } from './live-value';
import { mountInSlot } from './host-slot';
import type { SendingCounter } from './prompt-sending';
import { leaveProgressToHost, readBannerPrefs, type BannerPrefs } from './banner-settings';
import type { JobTracker } from '../components/job-tracker/job-tracker';

/** What every mounted tracker shows. */
export type TrackerModel = { jobs: TrackedJob[]; now: number; status: string; statusBad: boolean };

const DISMISSED_KEY = 'comfyume.banner.dismissed';
/** Kept apart: dismissing a later job's banner must not bring the data-loss warning back. */
const DATA_LOSS_DISMISSED_KEY = 'comfyume.banner.dataLossDismissed';

declare global {
  interface Window {
    comfyumeJobs?: {
      shared: boolean;
      tabCount: () => Promise<number>;
      jobs: () => Promise<TrackedJob[]>;
    };
    __COMFYUI_FRONTEND_VERSION__?: string;
  }
}

export class JobStatus {
  private state: JobsState | undefined;
  private sendingCount = 0;
  private prefs: BannerPrefs;
  readonly bannerView = new LiveValue<BannerView | null>(null);
  readonly trackerModel = new LiveValue<TrackerModel>({
    jobs: [],
    now: Date.now(),
    status: '',
    statusBad: false,
  });
  private readonly banner = document.createElement('comfyume-status-banner');
  private readonly tabId = crypto.randomUUID();
  private readonly worker: JobHubHandle;
  private readonly toasted = new Set<string>();
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly app: ComfyApp,
    private readonly api: ComfyApi,
    private readonly feed: BufferedSink,
    private readonly sending: SendingCounter,
    private readonly readSetting: (id: string) => unknown,
  ) {
    this.prefs = this.readPrefs();
    bindWhileConnected(this.banner, this.bannerView, (banner, view) => {
      banner.view = view;
      banner.hidden = !this.prefs.enabled;
    });
    // A dismissal survives a reload: a failure stays until the attendee closed it, once.
    this.banner.dismissedKey = localStorage.getItem(DISMISSED_KEY) ?? undefined;
    this.banner.addEventListener('comfyume-banner-dismiss', (e) => {
      localStorage.setItem(
        e.detail.key.startsWith('data-lost:') ? DATA_LOSS_DISMISSED_KEY : DISMISSED_KEY,
        e.detail.key,
      );
      this.render();
    });
    this.worker = startJobWorker();
  }

  async start(): Promise<void> {
    document.body.append(this.banner);
    const hub = this.worker.hub;
    // Absolute URL: the worker resolves relative URLs against its own script URL.
    const apiBase = new URL(this.api.apiURL(''), location.href).href.replace(/\/$/, '');
    const user = (this.api as { user?: string }).user;
    await hub.configure({ apiBase, headers: user ? { 'Comfy-User': user } : {} });
    this.feed.attach({
      dispatch: (action) => hub.dispatch(action),
      setSocket: (open) => hub.setSocket(this.tabId, open),
    });
    const initial = await hub.attach(
      this.tabId,
      Comlink.proxy((s: JobsState) => this.onState(s)),
    );
    // Failures already known before this tab opened were toasted where they happened.
    for (const job of Object.values(initial.jobs))
      if (job.state === 'failed') this.toasted.add(job.id);
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

  /** Prompts this tab is handing to the server right now (prompt-sending.ts). */
  setSending(count: number): void {
    this.sendingCount = count;
    this.render();
  }

  /** Re-reads the ComfyuME settings (their onChange). */
  settingsChanged(): void {
    this.prefs = this.readPrefs();
    this.banner.hidden = !this.prefs.enabled;
    this.render();
  }

  private readPrefs(): BannerPrefs {
    return readBannerPrefs(this.readSetting);
  }

  /** A sidebar tab's `render(el)`: idempotent, whatever the host does with `el` afterwards. */
  mountTracker(el: HTMLElement): void {
    mountInSlot(el, 'comfyume-job-tracker', () => this.createTracker());
    el.style.height = '100%';
  }

  private createTracker(): JobTracker {
    const tracker = document.createElement('comfyume-job-tracker');
    tracker.thumbUrl = (f: ThumbFile) =>
      this.api.apiURL(
        `/view?filename=${encodeURIComponent(f.filename)}&type=${encodeURIComponent(f.type)}&subfolder=${encodeURIComponent(f.subfolder)}`,
      );
    tracker.nodeTitle = (id) => this.nodeTitle(id);
    tracker.addEventListener('comfyume-job-cancel', (e) => void this.cancel(e.detail.id));
    tracker.addEventListener('comfyume-job-requeue', (e) => void this.requeue(e.detail.id));
    void readGalleryOptOut(this.api).then((v) => (tracker.galleryOptOut = v));
    tracker.addEventListener('comfyume-gallery-opt-out', (e) => {
      void setGalleryOptOut(this.api, e.detail.optOut).then((v) => {
        tracker.galleryOptOut = v ?? tracker.galleryOptOut;
        tracker.requestUpdate(); // a failed call puts the checkbox back
      });
    });
    bindWhileConnected(tracker, this.trackerModel, (t, model) => Object.assign(t, model));
    return tracker;
  }

  private nodeTitle(id: string): string | undefined {
    const graph = this.app.graph as unknown as
      { getNodeById(id: number | string): { title?: string } | null } | undefined;
    const node = graph?.getNodeById(/^\d+$/.test(id) ? Number(id) : id);
    return node?.title || undefined;
  }

  private onState(state: JobsState): void {
    this.state = state;
    for (const job of Object.values(state.jobs)) {
      this.sending.seen(job.id);
      if (job.state !== 'failed' || this.toasted.has(job.id)) continue;
      this.toasted.add(job.id);
      const where = job.error?.nodeId
        ? ` (in ${this.nodeTitle(job.error.nodeId) ?? job.error.nodeType} #${job.error.nodeId})`
        : '';
      this.app.extensionManager?.toast?.add({
        severity: 'error',
        summary: 'GPU job failed',
        detail: `${job.error?.message ?? 'The job failed'}${where}`,
        life: 8000,
      });
    }
    this.render();
  }

  private render(): void {
    const state = this.state;
    if (!state) return;
    const now = Date.now();
    const jobs = jobList(state);
    this.bannerView.set(
      describeBanner({
        jobs,
        now,
        sending: this.sendingCount,
        relay: state.relay,
        dataLossDismissed: localStorage.getItem(DATA_LOSS_DISMISSED_KEY) ?? undefined,
        nodeTitle: (id) => this.nodeTitle(id),
        settleMs: this.prefs.settleMs,
        hostShowsProgress: leaveProgressToHost(
          this.prefs.progress,
          window.__COMFYUI_FRONTEND_VERSION__,
        ),
      }),
    );
    const active = jobs.filter((j) => !isFinal(j.state)).length;
    this.trackerModel.set({
      jobs,
      now,
      status: state.socketOpen ? `live · ${active} active` : 'socket down · polling',
      statusBad: !state.socketOpen,
    });
  }

  private async cancel(id: string): Promise<void> {
    const job = this.state?.jobs[id];
    if (!job) return;
    try {
      await cancelJob(this.api, job);
    } catch (err) {
      this.app.extensionManager?.toast?.add({
        severity: 'error',
        summary: 'Cancel failed',
        detail: String(err),
        life: 5000,
      });
    }
    void this.worker.hub.poll();
  }

  /** Re-run posts the job's prompt itself, so it goes through "Sending…" like Run does. */
  private async requeue(id: string): Promise<void> {
    this.sending.postStarted();
    let promptId: string | undefined;
    try {
      promptId = await requeueJob(this.api, id);
      void this.worker.hub.dispatch({ type: 'accepted', id: promptId, at: Date.now() });
    } catch (err) {
      this.app.extensionManager?.toast?.add({
        severity: 'error',
        summary: 'Re-run failed',
        detail: String(err),
        life: 5000,
      });
    } finally {
      this.sending.postEnded(promptId ? { promptId } : undefined);
    }
    void this.worker.hub.poll();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.banner.remove();
    this.worker.close();
  }
}
