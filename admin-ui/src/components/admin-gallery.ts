/**
 * @fileoverview <admin-gallery>: the gallery wall for the projector: attendees' newest outputs in
 * large tiles on black (user, time, the image), refreshed when the dashboard's event socket reports
 * a finished job (`latestDone` changes) and every few seconds, with the operator's Hide on each
 * tile. Images are fetched with the operator's token and shown as object URLs.
 */
import { LitElement, css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { GalleryItem } from '../../../protocol/src/relay/gallery';
import { createOperatorClient } from '../api/operator-client';
import { galleryTiles } from '../state/gallery-model';
import { defineElement } from '../../../ui-kit/define-element';
import { themeStyles } from './theme.styles';
import { PollController } from '../controllers/poll.controller';

const POLL_MS = 5000;

export class AdminGallery extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: #000;
        color: #fff;
        padding: 20px 28px 40px;
      }
      header {
        display: flex;
        align-items: baseline;
        gap: 18px;
        margin-bottom: 18px;
      }
      h1 {
        margin: 0;
        font-size: 34px;
        font-weight: 700;
      }
      .sub {
        color: var(--muted);
        font-size: 16px;
      }
      header .tools {
        margin-left: auto;
        display: flex;
        gap: 8px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(340px, 1fr));
        gap: 20px;
      }
      li {
        position: relative;
        background: #0b0d11;
        border-radius: 14px;
        overflow: hidden;
        border: 1px solid #1c212b;
      }
      li[data-hidden] img {
        opacity: 0.25;
      }
      img,
      .placeholder {
        display: block;
        width: 100%;
        aspect-ratio: 1;
        object-fit: contain;
        background: #050608;
      }
      .caption {
        display: flex;
        align-items: baseline;
        gap: 10px;
        padding: 10px 14px 12px;
        font-size: 20px;
      }
      .user {
        font-weight: 700;
      }
      .when {
        color: var(--muted);
        font-size: 16px;
        margin-left: auto;
      }
      li button {
        position: absolute;
        top: 10px;
        right: 10px;
        opacity: 0;
        transition: opacity 0.15s;
      }
      li:hover button,
      li button:focus-visible,
      li[data-hidden] button {
        opacity: 1;
      }
      .empty {
        font-size: 22px;
        padding: 80px 0;
      }
    `,
  ];

  @property({ attribute: false }) token: string | undefined;
  @property({ attribute: false }) baseUrl = '';
  /** The newest finished job the dashboard's socket has seen: a change means "look again". */
  @property({ attribute: false }) latestDone = 0;
  @state() private items: GalleryItem[] = [];
  @state() private loaded = false;
  @state() private showHidden = false;
  @state() private error = '';
  @state() private now = Date.now();
  private readonly urls = new Map<string, string>();
  // Arrow: `refresh` is a method declared below, read when the controller calls it.
  private readonly poll = new PollController(this, POLL_MS, () => this.refresh());

  private client() {
    return this.token === undefined ? undefined : createOperatorClient(this.baseUrl, this.token);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('latestDone') && changed.get('latestDone') !== undefined) void this.refresh();
  }

  private async refresh(): Promise<void> {
    const client = this.client();
    if (!client) return;
    try {
      const list = await client.gallery({ hidden: this.showHidden });
      await Promise.all(
        list.items
          .filter((item) => !this.urls.has(item.id))
          .map(async (item) => {
            const blob = await client.image(item.id).catch(() => undefined);
            if (blob) this.urls.set(item.id, URL.createObjectURL(blob));
          }),
      );
      const keep = new Set(list.items.map((i) => i.id));
      for (const [id, url] of this.urls)
        if (!keep.has(id)) {
          URL.revokeObjectURL(url);
          this.urls.delete(id);
        }
      this.items = list.items;
      this.now = Date.now();
      this.loaded = true;
      this.error = '';
    } catch (error) {
      this.error = `The gallery could not be read: ${(error as Error).message}`;
    }
  }

  private async hide(id: string, hidden: boolean): Promise<void> {
    try {
      await this.client()?.hide(id, hidden);
      this.items = this.items.map((i) => (i.id === id ? { ...i, hidden } : i));
      void this.refresh();
    } catch (error) {
      this.error = `Could not ${hidden ? 'hide' : 'show'} it: ${(error as Error).message}`;
    }
  }

  private back(): void {
    this.dispatchEvent(new CustomEvent('admin-gallery-close', { bubbles: true, composed: true }));
  }

  override render() {
    const tiles = galleryTiles(this.items, this.now, this.showHidden);
    return html`
      <header>
        <h1>Gallery</h1>
        <span class="sub">the newest images from the workshop</span>
        <span class="tools">
          <button
            data-action="show-hidden"
            @click=${() => {
              this.showHidden = !this.showHidden;
              void this.refresh();
            }}
          >
            ${this.showHidden ? 'Leave hidden out' : 'Show hidden'}
          </button>
          <button data-action="back" @click=${this.back}>Dashboard</button>
        </span>
      </header>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : null}
      ${
        !this.loaded
          ? html`<div class="empty">Loading the gallery…</div>`
          : tiles.length === 0
            ? html`<div class="empty">No images yet. They appear here as attendees' jobs finish.</div>`
            : html`<ul aria-label="Newest outputs">
                ${repeat(
                  tiles,
                  (t) => t.id,
                  (t) => html`<li data-item=${t.id} ?data-hidden=${t.hidden} title=${t.title}>
                    ${
                      this.urls.get(t.id)
                        ? html`<img src=${this.urls.get(t.id)!} alt="${t.user}'s ${t.title}" />`
                        : html`<div class="placeholder"></div>`
                    }
                    <div class="caption">
                      <span class="user">${t.user}</span><span class="when">${t.when}</span>
                    </div>
                    <button
                      class=${t.hidden ? '' : 'danger'}
                      data-action=${t.hidden ? 'show' : 'hide'}
                      @click=${() => this.hide(t.id, !t.hidden)}
                    >
                      ${t.hidden ? 'Show again' : 'Hide'}
                    </button>
                  </li>`,
                )}
              </ul>`
      }
    `;
  }
}

defineElement('admin-gallery', AdminGallery);

declare global {
  interface HTMLElementTagNameMap {
    'admin-gallery': AdminGallery;
  }
}
