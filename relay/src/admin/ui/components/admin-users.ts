/**
 * @fileoverview <admin-users>: one row per attendee (queued, running, done, failed, last
 * activity, mean wait). Clicking a user filters the job list to them.
 *
 * @event admin-user-select - `detail.userId`, or undefined to clear the filter.
 */
import { LitElement, css, html } from 'lit';
import { property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { formatAgo, formatDuration } from '../state/format';
import type { UserRow } from '../state/view-model';
import { defineElement } from './define';
import { themeStyles } from './theme.styles';

export type AdminUserSelectEvent = CustomEvent<{ userId: string | undefined }>;

export class AdminUsers extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
      }
      .scroll {
        max-height: 420px;
        overflow: auto;
      }
      thead th {
        position: sticky;
        top: 0;
        background: var(--panel);
      }
      tbody tr {
        cursor: pointer;
      }
      tbody tr:hover td {
        background: var(--panel-raised);
      }
      tr[aria-selected='true'] td {
        background: color-mix(in srgb, var(--accent) 14%, transparent);
      }
      .zero {
        color: var(--muted);
        opacity: 0.55;
      }
      .running {
        color: var(--busy);
        font-weight: 600;
      }
      .failed {
        color: var(--bad);
        font-weight: 600;
      }
    `,
  ];

  @property({ attribute: false }) rows: UserRow[] = [];
  @property({ attribute: false }) selected: string | undefined;
  @property({ attribute: false }) now = Date.now();

  private select(userId: string): void {
    const next = this.selected === userId ? undefined : userId;
    this.dispatchEvent(
      new CustomEvent('admin-user-select', {
        detail: { userId: next },
        bubbles: true,
        composed: true,
      }),
    );
  }

  private n(value: number, cls = '') {
    return html`<td class="num ${value === 0 ? 'zero' : cls}">${value}</td>`;
  }

  override render() {
    return html`<section class="panel" aria-label="Users">
      <h2>Users <span class="count">${this.rows.length}</span></h2>
      ${
        this.rows.length === 0
          ? html`<div class="empty">No users have submitted jobs yet.</div>`
          : html`<div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>User</th>
                    <th class="num">Queued</th>
                    <th class="num">Running</th>
                    <th class="num">Done</th>
                    <th class="num">Failed</th>
                    <th>Last activity</th>
                    <th class="num">Mean wait</th>
                  </tr>
                </thead>
                <tbody>
                  ${repeat(
                    this.rows,
                    (r) => r.userId,
                    (r) =>
                      html`<tr
                        data-user=${r.userId}
                        aria-selected=${this.selected === r.userId ? 'true' : 'false'}
                        @click=${() => this.select(r.userId)}
                      >
                        <td class="mono">${r.userId}</td>
                        ${this.n(r.queued)} ${this.n(r.running, 'running')} ${this.n(r.done)}
                        ${this.n(r.failed, 'failed')}
                        <td class="muted">${formatAgo(r.lastActivity, this.now)}</td>
                        <td class="num">${formatDuration(r.meanWaitMs)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
    </section>`;
  }
}

defineElement('admin-users', AdminUsers);

declare global {
  interface HTMLElementTagNameMap {
    'admin-users': AdminUsers;
  }
  interface GlobalEventHandlersEventMap {
    'admin-user-select': AdminUserSelectEvent;
  }
}
