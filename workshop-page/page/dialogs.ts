/**
 * @fileoverview How the stock frontend shows a refused `POST /prompt` (generation.ts
 * `refusedPrompt`): the modal error dialog (`useDialogService().showErrorDialog`, a PrimeVue dialog
 * over a mask, closed with its button or Escape), or 1.45's non-modal error overlay
 * (ErrorOverlay.vue). Same class names and test ids, so page objects written for the real UI work here.
 */
export function showErrorDialog(title: string, message: string): void {
  const mask = document.createElement('div');
  mask.className = 'p-dialog-mask p-overlay-mask';
  const dialog = document.createElement('div');
  dialog.className = 'p-dialog p-component';
  dialog.setAttribute('role', 'dialog');
  dialog.setAttribute('aria-modal', 'true');
  const header = document.createElement('div');
  header.className = 'p-dialog-header';
  header.textContent = title;
  const body = document.createElement('div');
  body.className = 'p-dialog-content';
  body.textContent = message;
  const close = document.createElement('button');
  close.className = 'p-dialog-close-button';
  close.setAttribute('aria-label', 'Close');
  close.textContent = '×';
  const dismiss = () => {
    mask.remove();
    removeEventListener('keydown', onKey);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') dismiss();
  };
  close.addEventListener('click', dismiss);
  addEventListener('keydown', onKey);
  header.append(close);
  dialog.append(header, body);
  mask.append(dialog);
  document.body.append(mask);
}

/** ErrorOverlay.vue: a non-modal alert under the action bar with the messages and a Dismiss button. */
export function showErrorOverlay(messages: string[]): void {
  document.querySelector('[data-testid="error-overlay"]')?.remove();
  const overlay = document.createElement('div');
  overlay.className = 'error-overlay';
  overlay.setAttribute('role', 'alert');
  overlay.setAttribute('aria-live', 'assertive');
  overlay.dataset.testid = 'error-overlay';
  const list = document.createElement('ul');
  list.dataset.testid = 'error-overlay-messages';
  for (const message of messages)
    list.append(Object.assign(document.createElement('li'), { textContent: message }));
  const dismiss = Object.assign(document.createElement('button'), { textContent: 'Dismiss' });
  dismiss.dataset.testid = 'error-overlay-dismiss';
  dismiss.addEventListener('click', () => overlay.remove());
  overlay.append(list, dismiss);
  document.body.append(overlay);
}
