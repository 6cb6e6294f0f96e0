/**
 * @fileoverview <admin-prewarm>: the serverless GPU's warmth (warm / warming up / cold), what keeps
 * it warm (PREWARM_SCHEDULE, Warm now), the last cold start measured, and the Warm now button.
 * Self-contained: it polls the relay's prewarm route every few seconds while on the page.
 */
import { LitElement, css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { PrewarmStatus } from '../../../protocol/src/relay/prewarm';
import { createOperatorClient } from '../api/operator-client';
import { warmthView } from '../state/gallery-model';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';
import { PollController } from '../controllers/poll.controller';

const POLL_MS = 3000;

export class AdminPrewarm extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
      }
      .head {
        display: flex;
        align-items: center;
        gap: 10px;
      }
      .head button {
        margin-left: auto;
      }
      .word {
        font-size: 22px;
        font-weight: 700;
        color: var(--tone);
      }
      dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 4px 12px;
        margin: 10px 0 0;
        font-size: 12.5px;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
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
  @state() private status: PrewarmStatus | undefined;
  @state() private pressing = false;
  @state() private error = '';
  // Arrow: `refresh` is a method declared below, read when the controller calls it.
  private readonly poll = new PollController(this, POLL_MS, () => this.refresh());

  private client() {
    return this.token === undefined ? undefined : createOperatorClient(this.baseUrl, this.token);
  }

  private async refresh(): Promise<void> {
    try {
      const status = await this.client()?.prewarm();
      if (status) this.status = status;
    } catch {
      // The dashboard's own banner says when the relay is unreachable; keep the last answer.
    }
  }

  private async warmNow(): Promise<void> {
    const client = this.client();
    if (!client || this.pressing) return;
    this.pressing = true;
    try {
      this.error = '';
      this.status = await client.warmNow();
    } catch (error) {
      this.error = `Warm now failed: ${(error as Error).message}`;
    } finally {
      this.pressing = false;
    }
  }

  override render() {
    const v = warmthView(this.status, Date.now());
    return html`<section class="panel" aria-label="GPU warm-up">
      <h2>GPU warm-up</h2>
      <div class="head" data-tone=${v.tone}>
        <span class="word" data-warmth=${this.status?.gpu ?? ''}>${v.word}</span>
        ${
          this.status?.enabled
            ? html`<button data-action="warm-now" ?disabled=${this.pressing} @click=${this.warmNow}>
                Warm now
              </button>`
            : null
        }
      </div>
      <dl>
        <dt>Plan</dt>
        <dd data-plan>${v.plan}</dd>
        <dt>Last warm</dt>
        <dd>${v.lastWarm}</dd>
        <dt>Last cold start</dt>
        <dd data-cold-start>${v.lastColdStart}</dd>
      </dl>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : null}
    </section>`;
  }
}

defineElement('admin-prewarm', AdminPrewarm);

declare global {
  interface HTMLElementTagNameMap {
    'admin-prewarm': AdminPrewarm;
  }
}
