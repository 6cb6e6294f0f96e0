/**
 * @fileoverview <admin-replicas>: the GPU replicas that run the agent (id, state, the job it runs,
 * what waits on it, last heartbeat, versions) and, for any job, its agent log. Self-contained:
 * it polls the relay's agent API every few seconds while it is on the page.
 */
import { LitElement, css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { AgentLogResponse, ReplicaInfo } from '../../../protocol/src/agent/admin';
import { createAgentClient, type AgentClient } from '../api/agent-client';
import { replicaRows } from '../state/replica-rows';
import './admin-agent-log';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';
import { PollController } from '../controllers/poll.controller';

const POLL_MS = 3000;
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class AdminReplicas extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
      }
      tr[data-job] {
        cursor: pointer;
      }
      form {
        display: flex;
        gap: 6px;
        margin-top: 10px;
      }
      input {
        flex: 1;
        min-width: 0;
        font: inherit;
        font-size: 12px;
        background: var(--panel-raised);
        color: var(--fg);
        border: 1px solid var(--border);
        border-radius: 6px;
        padding: 4px 8px;
      }
      .error {
        color: var(--bad);
        font-size: 12px;
        margin-top: 6px;
      }
    `,
  ];

  /** The operator's token ('' behind the proxy that adds it); undefined until signed in. */
  @property({ attribute: false }) token: string | undefined;
  @property({ attribute: false }) baseUrl = '';
  @state() private replicas: ReplicaInfo[] = [];
  @state() private loaded = false;
  @state() private log: AgentLogResponse | undefined;
  @state() private error = '';
  @state() private now = Date.now();
  // Arrow: `refresh` is a method declared below, read when the controller calls it.
  private readonly poll = new PollController(this, POLL_MS, () => this.refresh());

  private client(): AgentClient | undefined {
    return this.token === undefined ? undefined : createAgentClient(this.baseUrl, this.token);
  }

  private async refresh(): Promise<void> {
    const client = this.client();
    if (!client) return;
    try {
      const answer = await client.replicas();
      this.replicas = answer.replicas;
      this.now = answer.now;
      this.loaded = true;
      if (this.log) this.log = await client.agentLog(this.log.jobId);
    } catch {
      // The dashboard's own banner says when the relay is unreachable; keep the last answer.
    }
  }

  private async open(jobId: string): Promise<void> {
    const client = this.client();
    if (!client) return;
    if (!JOB_ID.test(jobId)) {
      this.error = 'A job id is a UUID like 5b8f1c2e-0d3a-4f6b-9c7e-1a2b3c4d5e6f.';
      return;
    }
    try {
      this.error = '';
      this.log = await client.agentLog(jobId);
    } catch (error) {
      this.error = `Could not read the agent log: ${(error as Error).message}`;
    }
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem('job') as HTMLInputElement;
    void this.open(input.value.trim());
  }

  override render() {
    const rows = replicaRows(this.replicas, this.now);
    return html`<section class="panel" aria-label="GPU replicas">
      <h2>GPU replicas ${rows.length ? html`<span class="count">${rows.length}</span>` : null}</h2>
      ${
        !this.loaded
          ? html`<div class="empty">Reading heartbeats…</div>`
          : rows.length === 0
            ? html`<div class="empty">No replica with the ComfyuME agent has written a heartbeat (serverless GPUs without the agent are followed from history and files).</div>`
            : html`<table>
                <thead>
                  <tr><th>Replica</th><th>Job</th><th class="num">Waiting</th><th>Last seen</th></tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (
                      r,
                    ) => html`<tr data-replica=${r.id} data-job=${r.jobId ?? ''} title=${r.version} @click=${() => r.jobId && this.open(r.jobId)}>
                      <td><span class="mono">${r.id}</span><br /><span class="badge" data-tone=${r.tone}>${r.label}</span></td>
                      <td class="mono">${r.running}</td>
                      <td class="num">${r.pending}</td>
                      <td class="muted">${r.lastSeen}<br />${r.version}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
      }
      <form @submit=${this.submit} aria-label="Agent log of a job">
        <input name="job" placeholder="job id → its agent log" autocomplete="off" spellcheck="false" />
        <button type="submit">Agent log</button>
      </form>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : null}
      <admin-agent-log .log=${this.log}></admin-agent-log>
    </section>`;
  }
}

defineElement('admin-replicas', AdminReplicas);

declare global {
  interface HTMLElementTagNameMap {
    'admin-replicas': AdminReplicas;
  }
}
