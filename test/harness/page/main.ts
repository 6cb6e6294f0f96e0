/**
 * @fileoverview Harness entry (the stock frontend's main bundle): publishes `window.comfyAPI`
 * before any extension is imported, builds the chrome (tabs, sidebar, action bar with Run,
 * toasts) and runs `app.setup()`.
 */
import '@comfyorg/litegraph/style.css';
import './harness.css';
import { ComfyApi } from './api';
import { ComfyApp } from './app';
import { HarnessExtensionManager } from './extension-manager';

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;

const api = new ComfyApi();
const manager = new HarnessExtensionManager(api, $('#sidebar-bar'), $('#sidebar-panel'), $('#toasts'));
const app = new ComfyApp(api, manager, $<HTMLCanvasElement>('#graph-canvas'));

// What the production build's shim modules read (`/scripts/app.js` → window.comfyAPI.app.app).
(window as unknown as { comfyAPI: unknown }).comfyAPI = {
  app: { app, ComfyApp },
  api: { api, ComfyApi },
};

$('#run').addEventListener('click', () => {
  const count = Number($<HTMLInputElement>('#batch').value) || 1;
  void app.queuePrompt(0, count);
});
$('#interrupt').addEventListener('click', () => void api.interrupt());
api.addEventListener('status', (e) => {
  const s = (e as CustomEvent).detail as { exec_info?: { queue_remaining?: number } } | null;
  if (s) $('#active-count').textContent = `${s.exec_info?.queue_remaining ?? 0} active`;
});

app.setup().then(
  () => document.body.setAttribute('data-harness-ready', 'true'),
  (err) => {
    console.error('Harness setup failed', err);
    document.body.setAttribute('data-harness-ready', 'error');
  },
);
