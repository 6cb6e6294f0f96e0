/**
 * @fileoverview <admin-workshop>: the instructor's side of the workshop. Lists the workflows every
 * attendee's sidebar shows (the default marked), publishes a workflow file live (checked first:
 * valid JSON, a UI-format workflow; the reason is shown otherwise), and sends a broadcast line
 * that every attendee's page shows as a toast. Self-contained like <admin-replicas>.
 */
import { LitElement, css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  BROADCAST_MAX_CHARS,
  workflowProblem,
  type WorkshopWorkflowList,
} from '../../../protocol/src/relay/workshop';
import { createWorkshopClient, type WorkshopClient } from '../api/workshop-client';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';

export class AdminWorkshop extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
      }
      ul {
        list-style: none;
        margin: 0 0 10px;
        padding: 0;
        font-size: 13px;
      }
      li {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        padding: 2px 0;
      }
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        margin-top: 8px;
        align-items: center;
      }
      input[type='text'] {
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
      label {
        font-size: 12px;
        color: var(--muted);
      }
      .note {
        font-size: 12px;
        margin-top: 6px;
      }
      .error {
        color: var(--bad);
      }
    `,
  ];

  /** The operator's token ('' behind the proxy that adds it); undefined until signed in. */
  @property({ attribute: false }) token: string | undefined;
  @property({ attribute: false }) baseUrl = '';
  @state() private list: WorkshopWorkflowList = { workflows: [] };
  @state() private note = '';
  @state() private error = '';

  private client(): WorkshopClient | undefined {
    return this.token === undefined ? undefined : createWorkshopClient(this.baseUrl, this.token);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    try {
      const list = await this.client()?.list();
      if (list) this.list = list;
    } catch {
      // The dashboard's own banner says when the relay is unreachable.
    }
  }

  private report(note: string, error = ''): void {
    this.note = note;
    this.error = error;
  }

  private async publish(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const input = form.elements.namedItem('file') as HTMLInputElement;
    const isDefault = (form.elements.namedItem('default') as HTMLInputElement).checked;
    const file = input.files?.[0];
    const client = this.client();
    if (!file || !client) return this.report('', 'Choose a workflow .json file first.');
    let workflow: unknown;
    try {
      workflow = JSON.parse(await file.text());
    } catch (error) {
      return this.report('', `${file.name}: not valid JSON (${(error as Error).message})`);
    }
    const problem = workflowProblem(workflow);
    if (problem) return this.report('', `${file.name}: not a ComfyUI workflow (${problem})`);
    try {
      const info = await client.publish(file.name, workflow, isDefault);
      this.report(`Published ${info.name} to every attendee's sidebar.`);
      form.reset();
      await this.refresh();
    } catch (error) {
      this.report('', `${file.name}: ${(error as Error).message}`);
    }
  }

  private async say(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const text = (form.elements.namedItem('text') as HTMLInputElement).value.trim();
    const client = this.client();
    if (!text || !client) return;
    try {
      await client.broadcast(text);
      this.report('Sent to every attendee’s page.');
      form.reset();
    } catch (error) {
      this.report('', `Not sent: ${(error as Error).message}`);
    }
  }

  override render() {
    const { workflows } = this.list;
    return html`<section class="panel" aria-label="Workshop">
      <h2>Workshop ${workflows.length ? html`<span class="count">${workflows.length}</span>` : null}</h2>
      ${
        workflows.length
          ? html`<ul>
              ${workflows.map(
                (w) =>
                  html`<li data-workflow=${w.name}>
                    <span>${w.name.replace(/\.json$/, '')}</span>
                    <span class="muted">${w.name === this.list.default ? 'default' : w.source}</span>
                  </li>`,
              )}
            </ul>`
          : html`<div class="empty">No workshop workflows (comfyume up --workflows &lt;dir&gt;).</div>`
      }
      <form @submit=${this.publish} aria-label="Publish a workflow">
        <input type="file" name="file" accept=".json,application/json" />
        <label><input type="checkbox" name="default" /> default</label>
        <button type="submit">Publish</button>
      </form>
      <form @submit=${this.say} aria-label="Say to every attendee">
        <input type="text" name="text" maxlength=${BROADCAST_MAX_CHARS} placeholder="a line for every attendee's page" autocomplete="off" />
        <button type="submit">Say</button>
      </form>
      ${this.note ? html`<div class="note" role="status">${this.note}</div>` : null}
      ${this.error ? html`<div class="note error" role="alert">${this.error}</div>` : null}
    </section>`;
  }
}

defineElement('admin-workshop', AdminWorkshop);

declare global {
  interface HTMLElementTagNameMap {
    'admin-workshop': AdminWorkshop;
  }
}
