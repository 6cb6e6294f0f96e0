/**
 * @fileoverview <admin-overview>: the headline tiles an instructor reads from across the room
 * (queued, running / slots, done and failed in the last hour, mean wait) with 30-minute trends.
 */
import { LitElement, css, html } from 'lit';
import { property } from 'lit/decorators.js';
import { formatTook } from '../../../ui-kit/format';
import type { Summary } from '../state/view-model';
import './admin-sparkline';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';

export class AdminOverview extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
        gap: 12px;
      }
      .tile {
        display: grid;
        gap: 4px;
        align-content: start;
      }
      .label {
        font-size: 12px;
        color: var(--muted);
        text-transform: uppercase;
        letter-spacing: 0.08em;
      }
      .value {
        font-size: 34px;
        font-weight: 700;
        line-height: 1.1;
        font-variant-numeric: tabular-nums;
      }
      .value small {
        font-size: 18px;
        color: var(--muted);
        font-weight: 500;
      }
      .sub {
        font-size: 12px;
        color: var(--muted);
        min-height: 16px;
      }
      .tile[data-tone='bad'] .value {
        color: var(--bad);
      }
      .tile[data-tone='warn'] .value {
        color: var(--warn);
      }
      admin-sparkline {
        margin-top: 6px;
      }
    `,
  ];

  @property({ attribute: false }) summary: Summary | undefined;

  override render() {
    const s = this.summary;
    if (!s) return null;
    const full = s.capacity > 0 && s.running >= s.capacity;
    return html`
      <div
        class="panel tile"
        data-tile="queued"
        data-tone=${s.queued > Math.max(4, s.capacity * 3) ? 'warn' : ''}
      >
        <span class="label">Queued</span>
        <span class="value">${s.queued}</span>
        <span class="sub">${s.queued === 0 ? 'nobody is waiting' : 'jobs waiting for a GPU'}</span>
        <admin-sparkline
          style="--spark: var(--warn)"
          .values=${s.depthTrend}
          label="queue depth, last 30 minutes"
        ></admin-sparkline>
      </div>
      <div class="panel tile" data-tile="running">
        <span class="label">Running</span>
        <span class="value">${s.running}<small> / ${s.capacity}</small></span>
        <span class="sub"
          >${s.capacity === 0 ? 'no GPU slot is available' : full ? 'every GPU slot is busy' : 'GPU slots busy'}</span
        >
      </div>
      <div class="panel tile" data-tile="done">
        <span class="label">Done · 1 h</span>
        <span class="value">${s.doneLastHour}</span>
        <span class="sub">${s.throughput.reduce((a, b) => a + b, 0)} in the last 30 min</span>
        <admin-sparkline
          style="--spark: var(--ok)"
          .values=${s.throughput}
          label="jobs finished per minute, last 30 minutes"
        ></admin-sparkline>
      </div>
      <div class="panel tile" data-tile="wait">
        <span class="label">Mean wait · 30 min</span>
        <span class="value">${formatTook(s.meanWaitMs)}</span>
        <span class="sub">submitted → started on a GPU</span>
        <admin-sparkline
          style="--spark: var(--accent)"
          .values=${s.waitTrend}
          label="mean wait per minute, last 30 minutes"
        ></admin-sparkline>
      </div>
      <div class="panel tile" data-tile="failed" data-tone=${s.failedLastHour > 0 ? 'bad' : ''}>
        <span class="label">Failed · 1 h</span>
        <span class="value">${s.failedLastHour}</span>
        <span class="sub">${s.failedLastHour === 0 ? 'no failures' : 'see recent failures'}</span>
      </div>
    `;
  }
}

defineElement('admin-overview', AdminOverview);

declare global {
  interface HTMLElementTagNameMap {
    'admin-overview': AdminOverview;
  }
}
