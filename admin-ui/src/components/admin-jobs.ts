/**
 * @fileoverview <admin-jobs>: the live job list (state, user, queue position, progress, elapsed,
 * ETA, backend, error with its node) with the operator's actions. Cancel asks for a second click.
 *
 * @event admin-job-action - `detail: {id, action: 'cancel' | 'priority' | 'normal'}`.
 * @event admin-job-filter - `detail: {view}` when a tab is chosen.
 */
import { LitElement, css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { shortId } from '../state/format';
import type { JobFilter, JobRow } from '../state/job-rows';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';

export type JobAction = 'cancel' | 'priority' | 'normal';
export type AdminJobActionEvent = CustomEvent<{ id: string; action: JobAction }>;
export type AdminJobFilterEvent = CustomEvent<{ view: JobFilter['view'] }>;

const tabs: { view: JobFilter['view']; label: string }[] = [
  { view: 'active', label: 'Active' },
  { view: 'all', label: 'All recent' },
  { view: 'failed', label: 'Failed' },
];

export class AdminJobs extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
      }
      .tabs {
        display: flex;
        gap: 4px;
        margin-left: auto;
        text-transform: none;
        letter-spacing: 0;
      }
      .tabs button[aria-pressed='true'] {
        border-color: var(--accent);
        color: var(--accent);
      }
      .scroll {
        max-height: 560px;
        overflow: auto;
      }
      thead th {
        position: sticky;
        top: 0;
        background: var(--panel);
      }
      .lane {
        margin-left: 6px;
        font-size: 11px;
        font-weight: 700;
        color: #1a1204;
        background: var(--warn);
        border-radius: 4px;
        padding: 0 5px;
      }
      .detail {
        min-width: 180px;
      }
      .bar {
        height: 4px;
        margin-top: 5px;
        border-radius: 2px;
        background: var(--panel-raised);
        overflow: hidden;
        max-width: 220px;
      }
      .bar > span {
        display: block;
        height: 100%;
        background: var(--busy);
        transition: width 0.4s ease;
      }
      .time,
      .eta {
        white-space: nowrap;
      }
      .where {
        font-size: 12px;
        margin-top: 2px;
      }
      .error {
        color: var(--bad);
        line-height: 1.35;
      }
      .actions {
        display: flex;
        gap: 6px;
        justify-content: flex-end;
      }
      tr[data-state='queued'] td:first-child,
      tr[data-state='running'] td:first-child {
        box-shadow: inset 3px 0 0 var(--tone);
      }
    `,
  ];

  @property({ attribute: false }) rows: JobRow[] = [];
  @property({ attribute: false }) busy: ReadonlySet<string> = new Set();
  @property({ attribute: false }) filter: JobFilter = { view: 'active' };
  @property({ attribute: false }) counts: Record<JobFilter['view'], number> = {
    active: 0,
    all: 0,
    failed: 0,
  };

  /** The job whose Cancel was clicked once; a second click within a few seconds cancels it. */
  @state() private confirming: string | undefined;
  private confirmTimer: ReturnType<typeof setTimeout> | undefined;

  private emit(id: string, action: JobAction): void {
    this.dispatchEvent(
      new CustomEvent('admin-job-action', {
        detail: { id, action },
        bubbles: true,
        composed: true,
      }),
    );
  }

  private cancel(id: string): void {
    clearTimeout(this.confirmTimer);
    if (this.confirming === id) {
      this.confirming = undefined;
      this.emit(id, 'cancel');
      return;
    }
    this.confirming = id;
    this.confirmTimer = setTimeout(() => (this.confirming = undefined), 4_000);
  }

  private choose(view: JobFilter['view']): void {
    this.dispatchEvent(
      new CustomEvent('admin-job-filter', { detail: { view }, bubbles: true, composed: true }),
    );
  }

  private emptyText(): string {
    const who = this.filter.user ? ` for ${this.filter.user}` : '';
    if (this.filter.view === 'active')
      return `Nothing queued or running${who}. New jobs appear here as soon as they are submitted.`;
    if (this.filter.view === 'failed') return `No failed jobs${who}.`;
    return `No jobs yet${who}.`;
  }

  private row(r: JobRow) {
    const busy = this.busy.has(r.id);
    return html`<tr data-job=${r.id} data-state=${r.state} data-tone=${r.tone}>
      <td><span class="badge" data-tone=${r.tone}>${r.label}</span></td>
      <td class="mono">${r.userId}</td>
      <td class="mono" title=${r.id}>
        ${shortId(r.id)}${r.lane === 'priority' ? html`<span class="lane" title="operator priority lane">PRIORITY</span>` : null}
      </td>
      <td class="detail">
        ${r.error ? html`<div class="error">${r.error}</div>` : r.detail ? html`<div>${r.detail}</div>` : null}
        ${r.progress !== undefined ? html`<div class="bar"><span style="width:${Math.round(r.progress * 100)}%"></span></div>` : null}
        ${r.backend ? html`<div class="where muted mono">${r.backend}</div>` : r.detail || r.error ? null : html`<span class="muted">—</span>`}
      </td>
      <td class="time muted">${r.elapsed}</td>
      <td class="eta">${r.eta}</td>
      <td>
        <div class="actions">
          ${
            r.canPrioritize
              ? html`<button
                  ?disabled=${busy}
                  data-action=${r.lane === 'priority' ? 'normal' : 'priority'}
                  @click=${() => this.emit(r.id, r.lane === 'priority' ? 'normal' : 'priority')}
                >
                  ${r.lane === 'priority' ? 'Normal lane' : 'Prioritize'}
                </button>`
              : null
          }
          ${
            r.canCancel
              ? html`<button
                  class="danger ${this.confirming === r.id ? 'confirm' : ''}"
                  data-action="cancel"
                  ?disabled=${busy}
                  @click=${() => this.cancel(r.id)}
                >
                  ${this.confirming === r.id ? 'Confirm cancel' : 'Cancel'}
                </button>`
              : null
          }
        </div>
      </td>
    </tr>`;
  }

  override render() {
    return html`<section class="panel" aria-label="Jobs">
      <h2>
        Jobs ${this.filter.user ? html`<span class="count">${this.filter.user}</span>` : null}
        <span class="tabs" role="group" aria-label="Which jobs">
          ${tabs.map(
            (t) =>
              html`<button
                aria-pressed=${this.filter.view === t.view ? 'true' : 'false'}
                data-view=${t.view}
                @click=${() => this.choose(t.view)}
              >
                ${t.label} · ${this.counts[t.view]}
              </button>`,
          )}
        </span>
      </h2>
      ${
        this.rows.length === 0
          ? html`<div class="empty">${this.emptyText()}</div>`
          : html`<div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>State</th>
                    <th>User</th>
                    <th>Job</th>
                    <th>Where</th>
                    <th>Time</th>
                    <th>ETA</th>
                    <th class="num">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  ${repeat(
                    this.rows,
                    (r) => r.id,
                    (r) => this.row(r),
                  )}
                </tbody>
              </table>
            </div>`
      }
    </section>`;
  }
}

defineElement('admin-jobs', AdminJobs);

declare global {
  interface HTMLElementTagNameMap {
    'admin-jobs': AdminJobs;
  }
  interface GlobalEventHandlersEventMap {
    'admin-job-action': AdminJobActionEvent;
    'admin-job-filter': AdminJobFilterEvent;
  }
}
