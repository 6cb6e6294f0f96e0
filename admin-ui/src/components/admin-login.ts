/**
 * @fileoverview <admin-login>: asks for the operator token (ADMIN_TOKEN). The token is kept in
 * sessionStorage by the app, so it is gone when the tab closes.
 *
 * @event admin-login - `detail.token`: the token the operator entered.
 */
import { LitElement, css, html } from 'lit';
import { property, query } from 'lit/decorators.js';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';

export type AdminLoginEvent = CustomEvent<{ token: string }>;

export class AdminLogin extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: grid;
        place-items: center;
        min-height: 100vh;
        background: var(--bg);
      }
      form {
        width: min(420px, 92vw);
        display: grid;
        gap: 14px;
        padding: 28px;
      }
      h1 {
        margin: 0;
        font-size: 20px;
      }
      p {
        margin: 0;
        color: var(--muted);
        line-height: 1.45;
      }
      input {
        font: inherit;
        color: var(--fg);
        background: var(--bg);
        border: 1px solid var(--border);
        border-radius: 8px;
        padding: 10px 12px;
      }
      input:focus {
        outline: 2px solid var(--accent);
        border-color: transparent;
      }
      button[type='submit'] {
        padding: 9px;
        font-size: 14px;
        font-weight: 600;
        background: var(--accent);
        border-color: var(--accent);
        color: #06121f;
      }
      .error {
        color: var(--bad);
      }
    `,
  ];

  /** Why the operator is asked again (e.g. the relay refused the last token). */
  @property() message = '';

  @query('input') private input!: HTMLInputElement;

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const token = this.input.value.trim();
    if (!token) return;
    this.dispatchEvent(
      new CustomEvent('admin-login', { detail: { token }, bubbles: true, composed: true }),
    );
  }

  override render() {
    return html`<form class="panel" @submit=${this.submit}>
      <h1>ComfyuME relay</h1>
      <p>Enter the operator token (<code>ADMIN_TOKEN</code> of the relay) to watch the queue.</p>
      ${this.message ? html`<p class="error" role="alert">${this.message}</p>` : null}
      <label class="sr-only" for="token">Operator token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="current-password"
        placeholder="Operator token"
        autofocus
        required
      />
      <button type="submit">Open dashboard</button>
    </form>`;
  }
}

defineElement('admin-login', AdminLogin);

declare global {
  interface HTMLElementTagNameMap {
    'admin-login': AdminLogin;
  }
  interface GlobalEventHandlersEventMap {
    'admin-login': AdminLoginEvent;
  }
}
