/**
 * @fileoverview A stand-in for the run progress both played generations draw under Run
 * (QueueProgressOverlay, frontend ≥ 1.32.7): the running node and its steps while a prompt runs.
 * It exists so the page is honest about what such a frontend already tells the attendee (our
 * banner then leaves progress to it), not to copy that panel's look.
 */
import type { ComfyApi } from './api';

export function mountProgressPanel(
  api: ComfyApi,
  panel: HTMLElement,
  nodeTitle: (id: string) => string | undefined,
): void {
  const label = document.createElement('span');
  const bar = document.createElement('div');
  bar.className = 'queue-progress-bar';
  panel.replaceChildren(label, bar);
  const show = (text: string, fraction: number) => {
    panel.hidden = false;
    label.textContent = text;
    bar.style.width = `${Math.round(fraction * 100)}%`;
  };
  const hide = () => (panel.hidden = true);
  const on = (type: string, fn: (d: Record<string, unknown>) => void) =>
    api.addEventListener(type, (e) =>
      fn(((e as CustomEvent).detail ?? {}) as Record<string, unknown>),
    );
  on('execution_start', () => show('Running', 0));
  on('progress', (d) => {
    const value = Number(d.value);
    const max = Number(d.max) || 1;
    show(`${nodeTitle(String(d.node)) ?? `#${String(d.node)}`} · ${value}/${max}`, value / max);
  });
  for (const type of ['execution_success', 'execution_error', 'execution_interrupted'])
    on(type, hide);
  api.addEventListener('executing', (e) => {
    if ((e as CustomEvent).detail === null) hide();
  });
}
