/**
 * @fileoverview Harness entry (the stock frontend's main bundle): picks the generation to play
 * (`?frontend=`, generation.ts), publishes `window.comfyAPI` and the frontend version before any
 * extension is imported, builds the chrome (tabs, sidebar, action bar with that generation's Run
 * control, its progress panel, toasts) and runs `app.setup()`.
 */
import '@comfyorg/litegraph/style.css';
import './harness.css';
import { ComfyApi } from './api';
import { ComfyApp } from './app';
import defaultWorkflow from './default-workflow.json';
import { HarnessExtensionManager } from './extension-manager';
import { currentGeneration } from './generation';
import { mountProgressPanel } from './progress-panel';
import { buildRunControl } from './run-control';
import { HarnessWorkflows } from './workflows';

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;

const generation = currentGeneration();
const api = new ComfyApi(generation);
const manager = new HarnessExtensionManager(
  api,
  $('#sidebar-bar'),
  $('#sidebar-panel'),
  $('#toasts'),
);
const app = new ComfyApp(api, manager, $<HTMLCanvasElement>('#graph-canvas'), generation);
const workflows = new HarnessWorkflows(api, () => app, $('.workflow-tab.active'));
manager.workflow = workflows;
manager.registerSidebarTab({
  id: 'workflows',
  icon: 'pi pi-folder-open',
  title: 'Workflows',
  type: 'custom',
  render: (el) => workflows.render(el),
});

// What the production build's shim modules read (`/scripts/app.js` → window.comfyAPI.app.app).
(window as unknown as { comfyAPI: unknown }).comfyAPI = {
  app: { app, ComfyApp },
  api: { api, ComfyApi },
};
// App.vue sets it on mount, before the extensions are imported.
(window as unknown as { __COMFYUI_FRONTEND_VERSION__: string }).__COMFYUI_FRONTEND_VERSION__ =
  generation.version;
document.body.dataset.frontend = generation.version;

const run = buildRunControl(generation);
$('#actionbar').prepend(run.root);
run.runButton.addEventListener('click', () => {
  const count = Number(run.batchInput.value) || 1;
  void app.queuePrompt(0, count);
});
mountProgressPanel(api, $('#queue-progress'), (id) => app.graph?.getNodeById(Number(id))?.title);
$('#interrupt').addEventListener('click', () => void api.interrupt());
api.addEventListener('status', (e) => {
  const s = (e as CustomEvent).detail as { exec_info?: { queue_remaining?: number } } | null;
  if (s) $('#active-count').textContent = `${s.exec_info?.queue_remaining ?? 0} active`;
});

/**
 * Like the stock frontend on a first visit: an empty canvas gets the default graph (the real
 * `default_workflow.json`). Combo values the server does not offer (the default's checkpoint is
 * rarely installed) take the first one it does, so Run works in a rehearsal straight away.
 */
async function loadDefaultGraph(): Promise<void> {
  if (app.graph.nodes.length > 0) return;
  await app.loadGraphData(structuredClone(defaultWorkflow));
  for (const node of app.graph.nodes) {
    for (const widget of node.widgets ?? []) {
      const values = (widget.options as { values?: unknown } | undefined)?.values;
      if (
        widget.type === 'combo' &&
        Array.isArray(values) &&
        values.length &&
        !values.includes(widget.value)
      ) {
        widget.value = values[0];
      }
    }
  }
  // Frame the whole graph, leaving room for the banner and the action bar at the top.
  // From pos/size: boundingRect is only measured once a frame has been drawn.
  const title = 30;
  const rects = app.graph.nodes.map((n) => ({
    x: n.pos[0],
    y: n.pos[1] - title,
    w: n.size[0],
    h: n.size[1] + title,
  }));
  const left = Math.min(...rects.map((r) => r.x));
  const top = Math.min(...rects.map((r) => r.y));
  const right = Math.max(...rects.map((r) => r.x + r.w));
  const bottom = Math.max(...rects.map((r) => r.y + r.h));
  const pad = 60;
  app.canvas.ds.fitToBounds(
    [left - pad, top - 2 * pad, right - left + 2 * pad, bottom - top + 3 * pad],
    { zoom: 0.9 },
  );
  app.canvas.setDirty(true, true);
  workflows.opened(null); // the page's own default is no work of the attendee's
}

app.setup().then(
  async () => {
    await loadDefaultGraph();
    document.body.setAttribute('data-harness-ready', 'true');
  },
  (err) => {
    console.error('Harness setup failed', err);
    document.body.setAttribute('data-harness-ready', 'error');
  },
);
