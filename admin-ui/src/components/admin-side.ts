/**
 * @fileoverview <admin-backends> (each GPU backend: state, slots in use; a pull worker's jobs and last seen) and <admin-failures>
 * (the latest failed jobs with their reason and node), the side column of the dashboard.
 */
import { LitElement, css, html } from 'lit';
import { property } from 'lit/decorators.js';
import { formatAgo, shortId } from '../state/format';
import type { BackendRow, FailureRow } from '../state/view-model';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';

export class AdminBackends extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 10px;
      }
      li {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 6px 10px;
        align-items: center;
      }
      .name {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .kind {
        color: var(--muted);
        font-size: 12px;
        margin-left: 6px;
      }
      .slots {
        grid-column: 1 / -1;
        display: flex;
        align-items: center;
        gap: 10px;
        font-size: 12px;
        color: var(--muted);
      }
      .worker {
        grid-column: 1 / -1;
        font-size: 12px;
        color: var(--muted);
      }
      .meter {
        flex: 1;
        height: 6px;
        border-radius: 3px;
        background: var(--panel-raised);
        overflow: hidden;
      }
      .meter > span {
        display: block;
        height: 100%;
        background: var(--tone);
      }
    `,
  ];

  @property({ attribute: false }) rows: BackendRow[] = [];

  override render() {
    return html`<section class="panel" aria-label="GPU backends">
      <h2>GPU backends</h2>
      ${
        this.rows.length === 0
          ? html`<div class="empty">No backend reported yet.</div>`
          : html`<ul>
              ${this.rows.map(
                (b) =>
                  html`<li data-backend=${b.name}>
                    <span class="name"
                      ><span class="mono">${b.name}</span>${b.kind ? html`<span class="kind">${b.kind}</span>` : null}</span
                    >
                    <span class="badge" data-tone=${b.tone}>${b.label}</span>
                    <span class="slots" data-tone=${b.tone === 'ok' ? 'busy' : b.tone}>
                      <span class="meter"
                        ><span style="width:${Math.round(b.load * 100)}%"></span
                      ></span>
                      ${b.running} / ${b.capacity} slots
                    </span>
                    ${
                      b.worker
                        ? html`<span class="worker" data-worker-jobs
                            ><span class="mono">${b.worker.jobs}</span> · ${b.worker.seen}</span
                          >`
                        : null
                    }
                  </li>`,
              )}
            </ul>`
      }
    </section>`;
  }
}

export class AdminFailures extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 10px;
      }
      li {
        border-left: 3px solid var(--bad);
        padding: 2px 0 2px 10px;
      }
      .meta {
        font-size: 12px;
        color: var(--muted);
        display: flex;
        gap: 8px;
        flex-wrap: wrap;
      }
      .reason {
        color: var(--fg);
        line-height: 1.35;
        margin-top: 2px;
        word-break: break-word;
      }
    `,
  ];

  @property({ attribute: false }) rows: FailureRow[] = [];
  @property({ attribute: false }) now = Date.now();

  override render() {
    return html`<section class="panel" aria-label="Recent failures">
      <h2>
        Recent failures
        ${this.rows.length ? html`<span class="count">${this.rows.length}</span>` : null}
      </h2>
      ${
        this.rows.length === 0
          ? html`<div class="empty">No failures among the jobs shown.</div>`
          : html`<ol>
              ${this.rows.map(
                (f) =>
                  html`<li data-job=${f.id}>
                    <div class="meta">
                      <span class="mono">${f.userId}</span><span class="mono">${shortId(f.id)}</span
                      ><span>${formatAgo(f.at, this.now)}</span
                      >${f.exception ? html`<span>${f.exception}</span>` : null}
                    </div>
                    <div class="reason">${f.reason}</div>
                  </li>`,
              )}
            </ol>`
      }
    </section>`;
  }
}

defineElement('admin-backends', AdminBackends);
defineElement('admin-failures', AdminFailures);

declare global {
  interface HTMLElementTagNameMap {
    'admin-backends': AdminBackends;
    'admin-failures': AdminFailures;
  }
}
