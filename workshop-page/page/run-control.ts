/**
 * @fileoverview The action bar's Run control with the DOM of the generation the page plays
 * (generation.ts `runButton`), so locators written for either real frontend find it here too:
 * 1.45.0 `<button data-testid="queue-button">` between the batch count and the mode menu trigger;
 * 1.35.9 a PrimeVue SplitButton root `<div data-testid="queue-button">` holding the Run `<button>`
 * and the dropdown `<button>`, then the batch count.
 */
import type { Generation } from './generation';

export type RunControl = {
  root: HTMLElement;
  runButton: HTMLButtonElement;
  batchInput: HTMLInputElement;
};

function el<K extends 'div' | 'button' | 'input'>(
  tag: K,
  props: Record<string, string>,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

export function buildRunControl(generation: Generation): RunControl {
  const root = el('div', { className: 'queue-button-group' });
  const batchInput = el(
    'input',
    { id: 'batch', type: 'number', value: '1', min: '1' },
    { 'aria-label': 'Batch count' },
  );
  if (generation.runButton === 'button') {
    const runButton = el(
      'button',
      { id: 'run', textContent: '▶ Run' },
      { 'data-testid': 'queue-button' },
    );
    const menu = el(
      'button',
      { className: 'queue-mode-trigger', textContent: '▾' },
      { 'data-testid': 'queue-mode-menu-trigger', 'aria-label': 'Run' },
    );
    root.append(batchInput, runButton, menu);
    return { root, runButton, batchInput };
  }
  const split = el(
    'div',
    { className: 'p-splitbutton p-component comfyui-queue-button' },
    { 'data-testid': 'queue-button', 'data-pc-name': 'splitbutton' },
  );
  const runButton = el(
    'button',
    { id: 'run', type: 'button', className: 'p-button p-splitbutton-button', textContent: '▶ Run' },
    { 'aria-label': 'Run' },
  );
  const dropdown = el(
    'button',
    { type: 'button', className: 'p-splitbutton-dropdown', textContent: '▾' },
    { 'aria-haspopup': 'true' },
  );
  split.append(runButton, dropdown);
  root.append(split, batchInput);
  return { root, runButton, batchInput };
}
