/**
 * @fileoverview Small inline SVG icons (no icon font or emoji: the host may have neither).
 * 16×16, stroke = currentColor.
 */
import { svg, type SVGTemplateResult } from 'lit';

const wrap = (body: SVGTemplateResult) =>
  svg`<svg viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${body}</svg>`;

export const icons: Record<string, SVGTemplateResult> = {
  clock: wrap(svg`<circle cx="8" cy="8" r="6"/><path d="M8 4.5V8l2.5 1.5"/>`),
  send: wrap(svg`<path d="M2.5 8h9M8 4l4 4-4 4"/>`),
  flame: wrap(
    svg`<path d="M8 14c2.8 0 4.5-1.8 4.5-4.2C12.5 6.5 9 5 9 2c-2 1-3.5 3-3.2 5.2C5 6.8 4.6 6 4.6 5 3.8 6 3.5 7.3 3.5 9.8 3.5 12.2 5.2 14 8 14z"/>`,
  ),
  play: wrap(svg`<path d="M5 3.5v9l7-4.5z"/>`),
  download: wrap(svg`<path d="M8 2.5v8M4.5 7 8 10.5 11.5 7M3 13.5h10"/>`),
  check: wrap(svg`<path d="M3 8.5 6.5 12 13 4.5"/>`),
  cross: wrap(svg`<path d="M4 4l8 8M12 4l-8 8"/>`),
  alert: wrap(svg`<circle cx="8" cy="8" r="6"/><path d="M8 4.8v3.7M8 11v.2"/>`),
  dot: wrap(svg`<circle cx="8" cy="8" r="2" fill="currentColor"/>`),
};

/** The icon for a job state. */
export const stateIcons: Record<string, SVGTemplateResult> = {
  queued: icons.clock!,
  submitting: icons.send!,
  warming_up: icons.flame!,
  running: icons.play!,
  fetching_outputs: icons.download!,
  done: icons.check!,
  failed: icons.alert!,
  cancelled: icons.cross!,
};
