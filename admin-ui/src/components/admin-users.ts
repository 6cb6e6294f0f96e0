/**
 * @fileoverview <admin-users>: one row per attendee (queued, running, done, failed, last
 * activity, mean wait), sorted by user id; a column header sorts by that column (again: the other
 * way). Clicking a user filters the job list to them.
 *
 * @event admin-user-select - `detail.userId`, or undefined to clear the filter.
 */
import { LitElement, css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { formatTook } from '../../../ui-kit/format';
import { formatAgo } from '../state/format';
import {
  defaultSortDir,
  sortUserRows,
  type UserRow,
  type UserSort,
  type UserSortKey,
} from '../state/view-model';
import { defineElement } from '../../../ui-kit/define-element';
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
      th button {
        all: unset;
        font: inherit;
        color: inherit;
        letter-spacing: inherit;
        text-transform: inherit;
        cursor: pointer;
      }
      th button:focus-visible {
        outline: 2px solid var(--accent);
      }
    `,
  ];

  @property({ attribute: false }) rows: UserRow[] = [];
  @property({ attribute: false }) selected: string | undefined;
  @property({ attribute: false }) now = Date.now();
  @state() private sort: UserSort = { key: 'userId', dir: 'asc' };

  private sortBy(key: UserSortKey): void {
    this.sort =
      this.sort.key === key
        ? { key, dir: this.sort.dir === 'asc' ? 'desc' : 'asc' }
        : { key, dir: defaultSortDir(key) };
  }

  private th(key: UserSortKey, label: string, numeric = true) {
    const sorted = this.sort.key === key;
    const aria = sorted ? (this.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none';
    const arrow = sorted ? (this.sort.dir === 'asc' ? ' ▲' : ' ▼') : '';
    return html`<th class=${numeric ? 'num' : ''} aria-sort=${aria} data-sort=${key}>
      <button type="button" @click=${() => this.sortBy(key)}>${label}${arrow}</button>
    </th>`;
  }

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
                    ${this.th('userId', 'User', false)} ${this.th('queued', 'Queued')}
                    ${this.th('running', 'Running')} ${this.th('done', 'Done')}
                    ${this.th('failed', 'Failed')} ${this.th('lastActivity', 'Last activity', false)}
                    ${this.th('meanWaitMs', 'Mean wait')}
                  </tr>
                </thead>
                <tbody>
                  ${repeat(
                    sortUserRows(this.rows, this.sort),
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
                        <td class="num">${formatTook(r.meanWaitMs)}</td>
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
