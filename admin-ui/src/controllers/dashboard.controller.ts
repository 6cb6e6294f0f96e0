/**
 * @fileoverview Keeps the dashboard's data live: an initial REST load, then relay events over the
 * WebSocket (resumed with `since`), queue status polled every few seconds, a full REST refresh
 * as the fallback whenever the socket is down, and the operator's actions (cancel, lane).
 * A Lit ReactiveController: starts with its host, stops when the host leaves the page.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { jobStates, type Lane } from '../../../protocol/src/relay/job';
import { EventSocket } from '../api/event-socket';
import { createRelayApi, RelayApiError, type RelayApi } from '../api/relay-api';
import { shortId } from '../state/format';
import {
  applyEventText,
  applyList,
  applyStatus,
  emptyData,
  isActive,
  staleActive,
  upsertJob,
  type DashboardData,
} from '../state/jobs-model';

export type ConnectionMode = 'connecting' | 'live' | 'polling' | 'unreachable' | 'unauthorized';

export type Connection = { mode: ConnectionMode; message: string; retryAt?: number };

export type Notice = { tone: 'ok' | 'bad'; text: string; at: number };

export type DashboardOptions = { pollMs?: number; reconcileMs?: number; recentLimit?: number };

const activeStates = jobStates.filter(isActive);
const RENDER_MS = 150;

export class DashboardController implements ReactiveController {
  data: DashboardData = emptyData();
  connection: Connection = { mode: 'connecting', message: 'Connecting to the relay…' };
  notice: Notice | undefined;
  readonly busy = new Set<string>();
  now = Date.now();

  private api: RelayApi | undefined;
  private socket: EventSocket | undefined;
  private socketOpen = false;
  private timers: ReturnType<typeof setInterval>[] = [];
  private lastFull = 0;
  private statusSoon: ReturnType<typeof setTimeout> | undefined;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private token: string | undefined;
  private readonly pollMs: number;
  private readonly reconcileMs: number;
  private readonly recentLimit: number;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly baseUrl: string,
    options: DashboardOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 5_000;
    this.reconcileMs = options.reconcileMs ?? 60_000;
    this.recentLimit = options.recentLimit ?? 300;
    host.addController(this);
  }

  hostConnected(): void {
    if (this.token) this.start(this.token);
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** Begin with `token` (after sign-in); safe to call again with a new token. */
  start(token: string): void {
    this.stop();
    this.token = token;
    this.data = emptyData();
    this.connection = { mode: 'connecting', message: 'Connecting to the relay…' };
    this.api = createRelayApi(this.baseUrl, token);
    this.socket = new EventSocket({
      baseUrl: this.baseUrl,
      token,
      since: () => this.data.lastEventId,
      handlers: {
        open: () => {
          this.socketOpen = true;
          if (this.connection.mode !== 'unauthorized') this.setMode('live', 'Live');
          void this.refresh(true); // fills anything that happened while the socket was away
        },
        text: (text) => {
          if (applyEventText(this.data, text, Date.now())) {
            this.statusAfterEvents();
            this.renderSoon();
          }
        },
        closed: ({ retryInMs }) => {
          this.socketOpen = false;
          if (this.connection.mode === 'live' || this.connection.mode === 'connecting')
            this.setMode(
              'polling',
              `Live updates interrupted — polling every ${Math.round(this.pollMs / 1000)}s, reconnecting in ${Math.ceil(retryInMs / 1000)}s`,
            );
        },
      },
    });
    void this.refresh(true).then(() => {
      if (this.connection.mode !== 'unauthorized') this.socket?.start();
    });
    this.timers.push(setInterval(() => void this.tick(), this.pollMs));
    this.timers.push(
      setInterval(() => {
        this.now = Date.now();
        this.host.requestUpdate();
      }, 1_000),
    );
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    clearTimeout(this.statusSoon);
    clearTimeout(this.renderTimer);
    this.renderTimer = undefined;
    this.statusSoon = undefined;
    this.socket?.stop();
    this.socket = undefined;
    this.socketOpen = false;
  }

  /** Forget the token (sign out, or the relay refused it). */
  signOut(): void {
    this.stop();
    this.token = undefined;
    this.api = undefined;
  }

  /** "Retry now" in the unreachable banner. */
  retryNow(): void {
    void this.refresh(true);
    this.socket?.reconnectNow();
  }

  private setMode(mode: ConnectionMode, message: string, retryAt?: number): void {
    this.connection = { mode, message, retryAt };
    this.host.requestUpdate();
  }

  private async tick(): Promise<void> {
    const full = !this.socketOpen || Date.now() - this.lastFull >= this.reconcileMs;
    await this.refresh(full);
    if (!this.socketOpen) this.socket?.reconnectNow();
  }

  /**
   * Events arrive one per task (a room of samplers sends hundreds a second); render at most
   * every RENDER_MS instead of once per frame received.
   */
  private renderSoon(): void {
    if (this.renderTimer) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.host.requestUpdate();
    }, RENDER_MS);
  }

  /** Job events change the counts; refresh the status soon, at most once a second. */
  private statusAfterEvents(): void {
    if (this.statusSoon) return;
    this.statusSoon = setTimeout(() => {
      this.statusSoon = undefined;
      void this.refresh(false);
    }, 1_000);
  }

  private async refresh(full: boolean): Promise<void> {
    const api = this.api;
    if (!api) return;
    try {
      const status = await api.queueStatus();
      applyStatus(this.data, status, Date.now());
      if (full) {
        const [active, recent] = await Promise.all([
          api.listJobs({ state: activeStates }),
          api.listJobs({ limit: this.recentLimit }),
        ]);
        const now = Date.now();
        applyList(this.data, [...recent.jobs, ...active.jobs], now);
        // Jobs we still show as active that the relay no longer lists as active ended while we
        // were not listening and are older than the recent page: read each one.
        const stale = staleActive(this.data, new Set(active.jobs.map((j) => j.id)));
        for (const id of stale.slice(0, 20)) {
          const job = await api.getJob(id).catch(() => undefined);
          if (job) upsertJob(this.data, job, 'action', Date.now());
          else this.data.jobs.delete(id);
        }
        this.lastFull = now;
      }
      if (this.connection.mode !== 'live' || !this.socketOpen)
        this.setMode(
          this.socketOpen ? 'live' : 'polling',
          this.socketOpen
            ? 'Live'
            : `Polling every ${Math.round(this.pollMs / 1000)}s (live updates unavailable)`,
        );
      else this.host.requestUpdate();
    } catch (error) {
      this.failed(error);
    }
  }

  private failed(error: unknown): void {
    if (error instanceof RelayApiError && error.kind === 'unauthorized') {
      this.signOut();
      this.setMode('unauthorized', 'The relay refused this token. Sign in again with ADMIN_TOKEN.');
      return;
    }
    if (error instanceof RelayApiError && error.kind === 'unreachable') {
      this.setMode('unreachable', error.message, Date.now() + this.pollMs);
      return;
    }
    this.setMode('polling', `The relay answered with an error: ${(error as Error).message}`);
  }

  async cancel(id: string): Promise<void> {
    await this.act(
      id,
      (api) => api.cancel(id),
      (job) =>
        `Job ${shortId(id)} of ${job.userId} is ${job.state === 'cancelled' ? 'cancelled' : 'being interrupted on the GPU'}`,
    );
  }

  async setLane(id: string, lane: Lane): Promise<void> {
    await this.act(
      id,
      (api) => api.setLane(id, lane),
      (job) =>
        `Job ${shortId(id)} of ${job.userId} moved to the ${lane} lane${job.position ? ` (now #${job.position})` : ''}`,
    );
  }

  private async act(
    id: string,
    work: (api: RelayApi) => ReturnType<RelayApi['cancel']>,
    describe: (job: Awaited<ReturnType<RelayApi['cancel']>>) => string,
  ): Promise<void> {
    const api = this.api;
    if (!api || this.busy.has(id)) return;
    this.busy.add(id);
    this.host.requestUpdate();
    try {
      const job = await work(api);
      upsertJob(this.data, job, 'action', Date.now());
      this.notice = { tone: 'ok', text: describe(job), at: Date.now() };
      void this.refresh(false);
    } catch (error) {
      if (error instanceof RelayApiError && error.kind === 'unauthorized') this.failed(error);
      this.notice = {
        tone: 'bad',
        text: `Could not change job ${shortId(id)}: ${(error as Error).message}`,
        at: Date.now(),
      };
    } finally {
      this.busy.delete(id);
      this.host.requestUpdate();
    }
  }
}
