/**
 * @fileoverview <admin-app>: the operator dashboard's root. Sign-in (token in sessionStorage),
 * connection state in words, and the panels, all fed from one DashboardController.
 */
import { LitElement, css, html } from 'lit';
import { state } from 'lit/decorators.js';
import { relayBaseUrl } from '../api/base-url';
import { DashboardController, type ConnectionMode } from '../controllers/dashboard.controller';
import { formatAgo } from '../state/format';
import { isActive } from '../state/jobs-model';
import { jobRows, type JobFilter } from '../state/job-rows';
import { backendRows, failureRows, summarize, userRows } from '../state/view-model';
import './admin-gallery';
import './admin-jobs';
import './admin-login';
import './admin-overview';
import './admin-prewarm';
import './admin-replicas';
import './admin-side';
import './admin-workshop';
import './admin-users';
import type { AdminJobActionEvent, AdminJobFilterEvent } from './admin-jobs';
import type { AdminLoginEvent } from './admin-login';
import type { AdminUserSelectEvent } from './admin-users';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';

export const TOKEN_KEY = 'comfyume.adminToken';

const modeTone: Record<ConnectionMode, string> = {
  live: 'ok',
  polling: 'warn',
  connecting: 'muted',
  unreachable: 'bad',
  unauthorized: 'bad',
};
const modeLabel: Record<ConnectionMode, string> = {
  live: 'Live',
  polling: 'Polling',
  connecting: 'Connecting',
  unreachable: 'Unreachable',
  unauthorized: 'Signed out',
};

export class AdminApp extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: var(--bg);
      }
      header {
        display: flex;
        align-items: center;
        gap: 14px;
        padding: 12px 22px;
        border-bottom: 1px solid var(--border);
        background: var(--panel);
        position: sticky;
        top: 0;
        z-index: 2;
      }
      h1 {
        margin: 0;
        font-size: 17px;
        font-weight: 700;
      }
      h1 span {
        color: var(--muted);
        font-weight: 500;
      }
      .spacer {
        flex: 1;
      }
      a[data-nav] {
        color: var(--accent);
        text-decoration: none;
        font-size: 13px;
      }
      .updated {
        color: var(--muted);
        font-size: 12px;
      }
      .alert {
        margin: 14px 22px 0;
        padding: 10px 14px;
        border-radius: var(--radius);
        display: flex;
        align-items: center;
        gap: 12px;
        background: color-mix(in srgb, var(--tone) 14%, var(--panel));
        border: 1px solid color-mix(in srgb, var(--tone) 50%, transparent);
        color: var(--fg);
      }
      .alert strong {
        color: var(--tone);
      }
      .alert button {
        margin-left: auto;
      }
      main {
        padding: 16px 22px 28px;
        display: grid;
        gap: 14px;
      }
      main.stale {
        opacity: 0.6;
        filter: saturate(0.5);
      }
      .columns {
        display: grid;
        grid-template-columns: minmax(0, 2.2fr) minmax(300px, 1fr);
        gap: 14px;
        align-items: start;
      }
      .side {
        display: grid;
        gap: 14px;
      }
      @media (max-width: 1100px) {
        .columns {
          grid-template-columns: 1fr;
        }
      }
      .toast {
        position: fixed;
        right: 20px;
        bottom: 20px;
        max-width: 460px;
        padding: 10px 14px;
        border-radius: var(--radius);
        background: var(--panel-raised);
        border: 1px solid var(--tone);
        box-shadow: 0 8px 30px #0008;
      }
    `,
  ];

  @state() private token: string | undefined = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  @state() private filter: JobFilter = { view: 'active' };
  /** `#gallery`: the projector's gallery wall instead of the dashboard. */
  @state() private page = location.hash === '#gallery' ? 'gallery' : 'dashboard';
  private readonly onHash = () =>
    (this.page = location.hash === '#gallery' ? 'gallery' : 'dashboard');

  private readonly dashboard = new DashboardController(this, relayBaseUrl(location.href));

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.onHash);
    if (this.token !== undefined) this.dashboard.start(this.token);
    else void this.tryProxyAuth();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('hashchange', this.onHash);
  }

  /**
   * Behind nginx the operator has already signed in with basic auth and nginx adds the relay's
   * admin token to every request, so asking for the token again would only confuse: try without
   * one first and show the sign-in only when the relay refuses.
   */
  private async tryProxyAuth(): Promise<void> {
    try {
      const response = await fetch(new URL('api/queue/status', relayBaseUrl(location.href)), {
        cache: 'no-store',
      });
      if (response.ok && this.token === undefined) {
        this.token = '';
        this.dashboard.start('');
      }
    } catch {
      // unreachable: the sign-in form stays; the dashboard reports the relay once started
    }
  }

  private login(event: AdminLoginEvent): void {
    this.token = event.detail.token;
    sessionStorage.setItem(TOKEN_KEY, this.token);
    this.dashboard.start(this.token);
  }

  private signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    this.token = undefined;
    this.dashboard.signOut();
    this.dashboard.connection = { mode: 'connecting', message: '' };
  }

  private action(event: AdminJobActionEvent): void {
    const { id, action } = event.detail;
    if (action === 'cancel') void this.dashboard.cancel(id);
    else void this.dashboard.setLane(id, action);
  }

  private alert() {
    const c = this.dashboard.connection;
    if (c.mode === 'unreachable') {
      const seconds = c.retryAt
        ? Math.max(0, Math.ceil((c.retryAt - this.dashboard.now) / 1000))
        : 0;
      return html`<div class="alert" role="alert" data-tone="bad" data-alert="unreachable">
        <strong>Relay unreachable — retrying${seconds ? ` in ${seconds}s` : '…'}</strong>
        <span class="muted"
          >${c.message}${this.dashboard.data.updatedAt ? ` · last answer ${formatAgo(this.dashboard.data.updatedAt, this.dashboard.now)}; the numbers below are from then` : ''}</span
        >
        <button @click=${() => this.dashboard.retryNow()}>Retry now</button>
      </div>`;
    }
    const lost = this.dashboard.data.status?.redisDataLost;
    if (lost)
      return html`<div class="alert" role="alert" data-tone="bad" data-alert="redis-data-lost">
        <strong>Redis lost its data ${formatAgo(lost.detectedAt, this.dashboard.now)}</strong>
        <span class="muted">${lost.message}</span>
      </div>`;
    if (c.mode === 'polling')
      return html`<div class="alert" role="status" data-tone="warn" data-alert="polling">
        <strong>${c.message}</strong>
      </div>`;
    return null;
  }

  override render() {
    const c = this.dashboard.connection;
    if (this.token === undefined || c.mode === 'unauthorized') {
      if (c.mode === 'unauthorized' && this.token) sessionStorage.removeItem(TOKEN_KEY);
      return html`<admin-login
        .message=${c.mode === 'unauthorized' ? c.message : ''}
        @admin-login=${this.login}
      ></admin-login>`;
    }
    const d = this.dashboard;
    const now = d.now;
    const data = d.data;
    if (this.page === 'gallery')
      return html`<admin-gallery
        .token=${this.token}
        .baseUrl=${relayBaseUrl(location.href)}
        .latestDone=${[...data.jobs.values()].reduce((n, j) => (j.state === 'done' ? Math.max(n, j.finishedAt ?? 0) : n), 0)}
        @admin-gallery-close=${() => (location.hash = '')}
      ></admin-gallery>`;
    const jobs = [...data.jobs.values()].filter(
      (j) => !this.filter.user || j.userId === this.filter.user,
    );
    const counts = {
      active: jobs.filter((j) => isActive(j.state)).length,
      all: jobs.length,
      failed: jobs.filter((j) => j.state === 'failed').length,
    };
    const notice = d.notice && now - d.notice.at < 6_000 ? d.notice : undefined;
    return html`
      <header>
        <h1>ComfyuME <span>relay</span></h1>
        <span
          class="badge"
          data-tone=${modeTone[c.mode]}
          data-connection=${c.mode}
          title=${c.message}
          >${modeLabel[c.mode]}</span
        >
        <span class="updated"
          >${data.updatedAt ? `updated ${formatAgo(data.updatedAt, now)}` : ''}</span
        >
        <span class="spacer"></span>
        <a href="#gallery" data-nav="gallery">Gallery wall</a>
        ${this.filter.user ? html`<button @click=${() => (this.filter = { ...this.filter, user: undefined })}>Showing ${this.filter.user} ✕</button>` : null}
        <button @click=${this.signOut}>Sign out</button>
      </header>
      ${this.alert()}
      <main class=${c.mode === 'unreachable' ? 'stale' : ''}>
        <admin-overview .summary=${summarize(data, now)}></admin-overview>
        <div class="columns">
          <admin-jobs
            .rows=${jobRows(data, now, this.filter)}
            .busy=${d.busy}
            .filter=${this.filter}
            .counts=${counts}
            @admin-job-action=${this.action}
            @admin-job-filter=${(e: AdminJobFilterEvent) => (this.filter = { ...this.filter, view: e.detail.view })}
          ></admin-jobs>
          <div class="side">
            <admin-backends .rows=${backendRows(data, now)}></admin-backends>
            <admin-prewarm .token=${this.token} .baseUrl=${relayBaseUrl(location.href)}></admin-prewarm>
            <admin-replicas .token=${this.token} .baseUrl=${relayBaseUrl(location.href)}></admin-replicas>
            <admin-failures .rows=${failureRows(data)} .now=${now}></admin-failures>
            <admin-workshop .token=${this.token} .baseUrl=${relayBaseUrl(location.href)}></admin-workshop>
          </div>
        </div>
        <admin-users
          .rows=${userRows(data)}
          .selected=${this.filter.user}
          .now=${now}
          @admin-user-select=${(e: AdminUserSelectEvent) => (this.filter = { ...this.filter, user: e.detail.userId })}
        ></admin-users>
      </main>
      ${notice ? html`<div class="toast" role="status" data-tone=${notice.tone} data-notice>${notice.text}</div>` : null}
    `;
  }
}

defineElement('admin-app', AdminApp);

declare global {
  interface HTMLElementTagNameMap {
    'admin-app': AdminApp;
  }
}
