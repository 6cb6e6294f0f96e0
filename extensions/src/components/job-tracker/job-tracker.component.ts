/**
 * @fileoverview <comfyume-job-tracker>: the attendee's jobs, newest first, with cancel / re-run.
 *
 * @summary Sidebar list of remote-GPU jobs (state, position, elapsed / ETA, thumbnail).
 * @event comfyume-job-cancel - Cancel pressed; `detail.id` is the job id.
 * @event comfyume-job-requeue - Re-run pressed; `detail.id` is the job id.
 * @event comfyume-gallery-opt-out - The gallery toggle changed; `detail.optOut` is the wish.
 */
import { LitElement, html, nothing, type CSSResultGroup } from 'lit';
import { property } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import { jobRow, type JobRow, type ThumbFile } from '../../state/job-rows';
import type { TrackedJob } from '../../state/jobs-state';
import { stateIcons } from '../shared/icons';
import { themeStyles } from '../shared/theme.styles';
import { trackerStyles } from './job-tracker.styles';

export type JobActionEvent = CustomEvent<{ id: string }>;
export type GalleryOptOutEvent = CustomEvent<{ optOut: boolean }>;

export class JobTracker extends LitElement {
  static override styles: CSSResultGroup = [themeStyles, trackerStyles];

  @property({ attribute: false }) jobs: TrackedJob[] = [];
  /** The clock the rows are computed against (the host ticks it once a second). */
  @property({ type: Number }) now = Date.now();
  /** Builds a /view URL for a thumbnail (the host's `api.apiURL`). */
  @property({ attribute: false }) thumbUrl: (file: ThumbFile) => string = () => '';
  @property({ attribute: false }) nodeTitle: ((id: string) => string | undefined) | undefined;
  /** A one-line connection note for the footer, e.g. "live" or "polling: socket down". */
  @property() status = '';
  @property({ type: Boolean, attribute: 'status-bad' }) statusBad = false;
  /** Whether the attendee keeps their outputs off the gallery wall; undefined hides the toggle (not known yet). */
  @property({ attribute: false }) galleryOptOut: boolean | undefined;

  private renderGalleryToggle() {
    if (this.galleryOptOut === undefined) return nothing;
    const change = (e: Event) => {
      const optOut = !(e.target as HTMLInputElement).checked;
      this.dispatchEvent(
        new CustomEvent('comfyume-gallery-opt-out', {
          detail: { optOut },
          bubbles: true,
          composed: true,
        }),
      );
    };
    return html`<label class="gallery">
      <input type="checkbox" .checked=${live(!this.galleryOptOut)} @change=${change} />
      Show my images on the workshop's gallery wall
    </label>`;
  }

  private emit(type: 'comfyume-job-cancel' | 'comfyume-job-requeue', id: string): void {
    this.dispatchEvent(new CustomEvent(type, { detail: { id }, bubbles: true, composed: true }));
  }

  private renderRow(row: JobRow) {
    return html`<li data-job-id=${row.id} data-state=${row.state}>
      ${
        row.thumb
          ? html`<img class="thumb" alt="output of job ${row.id}" loading="lazy" src=${this.thumbUrl(row.thumb)} />`
          : html`<span class="thumb" aria-hidden="true">${stateIcons[row.state]}</span>`
      }
      <div class="body">
        <div class="label">${row.label}</div>
        <div class="line">${row.line}</div>
        ${row.error ? html`<div class="error" title=${row.error}>${row.error}</div>` : nothing}
      </div>
      <div class="actions">
        ${
          row.canCancel
            ? html`<button class="cancel" @click=${() => this.emit('comfyume-job-cancel', row.id)} aria-label="Cancel job ${row.label}">Cancel</button>`
            : nothing
        }
        ${
          row.canRequeue
            ? html`<button class="requeue" @click=${() => this.emit('comfyume-job-requeue', row.id)} aria-label="Run job ${row.label} again">Re-run</button>`
            : nothing
        }
      </div>
    </li>`;
  }

  override render() {
    const rows = this.jobs.map((j) => jobRow(j, this.now, this.nodeTitle));
    return html`
      <header>
        <h2>GPU jobs</h2>
        <span class="status" ?data-bad=${this.statusBad}>${this.status}</span>
      </header>
      ${
        rows.length
          ? html`<ul aria-label="Your GPU jobs">${repeat(
              rows,
              (r) => r.id,
              (r) => this.renderRow(r),
            )}</ul>`
          : html`<div class="empty">No jobs yet. Press Run and they appear here.</div>`
      }
      ${this.renderGalleryToggle()}
    `;
  }
}
