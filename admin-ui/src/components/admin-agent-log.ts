/**
 * @fileoverview <admin-agent-log>: one job's agent log — what its GPU replica journaled, attempt by
 * attempt (a resubmit after a replica died shows as a second attempt), one line per record.
 */
import { LitElement, css, html } from 'lit';
import { property } from 'lit/decorators.js';
import type { AgentLogResponse } from '../../../protocol/src/agent/admin';
import { formatTook } from '../../../ui-kit/format';
import { shortId } from '../state/format';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';

const tones: Record<string, string> = {
  execution_success: 'ok',
  execution_error: 'bad',
  execution_interrupted: 'warn',
  cancel: 'warn',
  previews_thinned: 'warn',
  invalid: 'bad',
};

export class AdminAgentLog extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
      }
      h3 {
        margin: 12px 0 6px;
        font-size: 13px;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        max-height: 320px;
        overflow: auto;
        font-size: 12px;
      }
      li {
        display: grid;
        grid-template-columns: 48px 150px 1fr;
        gap: 8px;
        padding: 2px 0;
        border-bottom: 1px solid var(--border);
      }
      li[data-tone] .what {
        color: var(--tone);
      }
      .detail {
        word-break: break-word;
      }
      .marker {
        margin-top: 8px;
        font-size: 12px;
      }
    `,
  ];

  @property({ attribute: false }) log: AgentLogResponse | undefined;

  /** The newest lines are what the operator came for: keep each list scrolled to its end. */
  protected override updated(): void {
    for (const list of this.renderRoot.querySelectorAll('ol')) list.scrollTop = list.scrollHeight;
  }

  override render() {
    const log = this.log;
    if (!log) return null;
    if (log.attempts.length === 0 && log.removed)
      return html`<div class="empty" data-agent-log="removed">The agent journal of job ${shortId(log.jobId)} was removed from the shared volume: the job finished ${new Date(log.removed.finishedAt).toLocaleString()}, and job folders are kept ${log.removed.retentionH} h after the job finishes (SFS_RETENTION_H).</div>`;
    if (log.attempts.length === 0)
      return html`<div class="empty" data-agent-log="none">No agent journal for job ${shortId(log.jobId)}: it ran on a replica without the agent, or never reached one.</div>`;
    return html`${log.attempts.map((attempt) => {
      const first = attempt.entries.find((e) => e.at > 0)?.at ?? 0;
      return html`<section data-attempt=${attempt.attempt}>
        <h3>Attempt ${attempt.attempt} on <span class="mono">${attempt.replica}</span>${attempt.omitted ? html` <span class="muted">(${attempt.omitted} older lines left out)</span>` : null}</h3>
        <ol>
          ${attempt.entries.map(
            (e) => html`<li data-tone=${tones[e.what] ?? tones[e.kind] ?? ''} data-kind=${e.kind}>
              <span class="muted num">${e.at ? formatTook(e.at - first) : ''}</span>
              <span class="mono what">${e.what}</span>
              <span class="detail">${e.detail}</span>
            </li>`,
          )}
        </ol>
      </section>`;
    })}
    ${log.cancel ? html`<div class="muted marker">Cancel marker: attempt ≤ ${log.cancel.attempt} (${log.cancel.reason}).</div>` : null}`;
  }
}

defineElement('admin-agent-log', AdminAgentLog);

declare global {
  interface HTMLElementTagNameMap {
    'admin-agent-log': AdminAgentLog;
  }
}
