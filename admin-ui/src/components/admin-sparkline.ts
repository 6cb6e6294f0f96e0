/**
 * @fileoverview <admin-sparkline>: a small inline-SVG trend line (no chart library) for the
 * headline tiles. Geometry comes from state/sparkline.ts.
 */
import { LitElement, css, html, svg } from 'lit';
import { property } from 'lit/decorators.js';
import { sparkline } from '../state/sparkline';
import { defineElement } from '../../../ui-kit/define-element';

const WIDTH = 160;
const HEIGHT = 36;

export class AdminSparkline extends LitElement {
  static override styles = css`
    :host {
      display: block;
      color: var(--spark, #5aa9ff);
    }
    svg {
      display: block;
      width: 100%;
      height: 36px;
      overflow: visible;
    }
    .area {
      fill: currentColor;
      opacity: 0.14;
    }
    .line {
      fill: none;
      stroke: currentColor;
      stroke-width: 1.6;
      stroke-linejoin: round;
      stroke-linecap: round;
      vector-effect: non-scaling-stroke;
    }
    .end {
      fill: currentColor;
    }
    .base {
      stroke: #272d3a;
      stroke-width: 1;
      vector-effect: non-scaling-stroke;
    }
  `;

  /** One value per bucket, oldest first; `undefined` = no data in that bucket. */
  @property({ attribute: false }) values: (number | undefined)[] = [];

  /** What the line shows, for screen readers ("jobs done per minute, last 30 minutes"). */
  @property() label = '';

  override render() {
    const g = sparkline(this.values, WIDTH, HEIGHT);
    return html`<svg
      viewBox="0 0 ${WIDTH} ${HEIGHT}"
      preserveAspectRatio="none"
      role="img"
      aria-label=${this.label}
    >
      ${svg`<line class="base" x1="0" x2=${WIDTH} y1=${HEIGHT - 0.5} y2=${HEIGHT - 0.5}></line>`}
      ${g.area ? svg`<path class="area" d=${g.area}></path>` : null}
      ${g.line ? svg`<path class="line" d=${g.line}></path>` : null}
      ${g.end ? svg`<circle class="end" cx=${g.end[0]} cy=${g.end[1]} r="2.5"></circle>` : null}
    </svg>`;
  }
}

defineElement('admin-sparkline', AdminSparkline);

declare global {
  interface HTMLElementTagNameMap {
    'admin-sparkline': AdminSparkline;
  }
}
