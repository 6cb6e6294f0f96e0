/**
 * @fileoverview <comfyume-status-banner>: shows one BannerView (see state/banner-text.ts).
 *
 * @summary A slim, dismissible status line for the attendee's remote-GPU jobs.
 * @event comfyume-banner-dismiss - The user dismissed the banner; `detail.key` is the view's key.
 * @csspart base - The visible banner.
 * @cssproperty --comfyume-bg - Background (defaults to ComfyUI's menu background).
 */
import {
  LitElement,
  html,
  nothing,
  type CSSResultGroup,
  type PropertyValues,
  type SVGTemplateResult,
} from 'lit';
import { property, state } from 'lit/decorators.js';
import type { BannerView } from '../../state/banner-text';
import { icons, stateIcons } from '../shared/icons';
import { themeStyles } from '../shared/theme.styles';
import { bannerStyles } from './status-banner.styles';

export type BannerDismissEvent = CustomEvent<{ key: string }>;

const toneIcons = { success: icons.check, danger: icons.alert, neutral: icons.dot } as Record<
  string,
  SVGTemplateResult
>;

export class StatusBanner extends LitElement {
  static override styles: CSSResultGroup = [themeStyles, bannerStyles];

  /** What to show; `null` hides the banner. */
  @property({ attribute: false }) view: BannerView | null = null;

  /** The key the user dismissed; the banner stays hidden while the view keeps that key. */
  @state() dismissedKey: string | undefined;

  /** Text for screen readers: the title only, so per-second elapsed times are not announced. */
  @state() private announcement = '';

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('view')) {
      // On the host too, so its fixed-width box can shrink with the chip.
      this.toggleAttribute('compact', Boolean(this.view?.compact));
      const title = this.view && this.view.key !== this.dismissedKey ? this.view.title : '';
      if (title && title !== this.announcement) this.announcement = title;
    }
  }

  get visible(): boolean {
    return this.view !== null && this.view.key !== this.dismissedKey;
  }

  private dismiss(): void {
    if (!this.view) return;
    this.dismissedKey = this.view.key;
    this.dispatchEvent(
      new CustomEvent('comfyume-banner-dismiss', {
        detail: { key: this.view.key },
        bubbles: true,
        composed: true,
      }),
    );
  }

  override render() {
    const v = this.view;
    const show = this.visible && v;
    const failed = v?.phase === 'failed' || v?.phase === 'offline' || v?.phase === 'data_lost';
    const live = failed ? 'assertive' : 'polite';
    // The live region's text is exactly the announcement (screen readers read what is there).
    return html`
      <div class="sr-only" aria-live=${live} aria-atomic="true">${this.announcement}</div>
      ${
        show
          ? html`<div class="banner" part="base" data-phase=${v.phase} data-tone=${v.tone} ?data-compact=${v.compact} role=${failed ? 'alert' : 'status'}>
            <span class="icon" aria-hidden="true">
              ${v.phase === 'data_lost' ? icons.alert : v.tone === 'progress' || v.tone === 'warning' ? html`<span class="spinner"></span>` : v.phase === 'queued' ? stateIcons.queued : v.phase === 'cancelled' ? stateIcons.cancelled : toneIcons[v.tone]}
            </span>
            <div class="text">
              <div class="title" title=${v.title}>${v.title}</div>
              ${v.detail ? html`<div class="detail" title=${v.detail}>${v.detail}</div>` : nothing}
            </div>
            <button class="close" aria-label="Dismiss status" title="Dismiss" @click=${this.dismiss}>×</button>
            ${v.progress !== undefined ? html`<div class="bar" style="width:${(v.progress * 100).toFixed(1)}%"></div>` : nothing}
          </div>`
          : nothing
      }
    `;
  }
}
