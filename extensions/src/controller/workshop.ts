/**
 * @fileoverview The instructor's workshop in the attendee's page: a published workflow refreshes the
 * Workflows sidebar and shows the stock toast "New workflow from the instructor" with an Open
 * button; the operator's broadcast line is a toast of plain text (never markup); and on the first
 * visit the workshop's default workflow opens — only when the canvas holds no work of the attendee's
 * (after that, only when the attendee asks, with the command).
 */
import { BROADCAST_MAX_CHARS, WORKFLOWS_DIR } from '../../../protocol/src/relay/workshop';

/** What this module uses of the page: ComfyUI's api events and fetch, and the frontend's surfaces. */
export type WorkshopHost = {
  api: Pick<EventTarget, 'addEventListener'> & {
    fetchApi(path: string, init?: RequestInit): Promise<Response>;
  };
  /** The stock toast (`app.extensionManager.toast.add`). */
  toast(message: { severity: string; summary: string; detail: string; life: number }): void;
  /** The Workflows sidebar lists again (the workflow store's `syncWorkflows`). */
  refreshWorkflows(): Promise<void>;
  /** Opens a workflow's JSON under its name (`app.loadGraphData(json, true, true, name)`). */
  openWorkflow(name: string, workflow: unknown): Promise<void>;
  /** Whether the canvas holds work of the attendee's (a modified workflow). */
  hasWorkInProgress(): boolean;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
  /** Where toasts are in the document, to give the workflow toast its Open button. */
  document?: Pick<Document, 'querySelectorAll' | 'createElement'>;
};

const SEEN_KEY = 'comfyume.workshop.defaultOpened';
export const NEW_WORKFLOW_SUMMARY = 'New workflow from the instructor';
export const BROADCAST_SUMMARY = 'From the instructor';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const workflowPath = (name: string) =>
  `/userdata/${encodeURIComponent(`${WORKFLOWS_DIR}/${name}`)}`;

/** Fetches a workflow of the attendee's Workflows folder (their copy, or the workshop's) and opens it. */
export async function openWorkflowByName(host: WorkshopHost, name: string): Promise<boolean> {
  const response = await host.api.fetchApi(workflowPath(name));
  if (!response.ok) return false;
  await host.openWorkflow(name.replace(/\.json$/, ''), (await response.json()) as unknown);
  return true;
}

/** The workshop's default workflow, as the sidecar knows it (undefined when none or unreachable). */
async function defaultWorkflow(host: WorkshopHost): Promise<string | undefined> {
  const response = await host.api.fetchApi('/comfyume/workshop').catch(() => undefined);
  if (!response?.ok) return undefined;
  const body = (await response.json().catch(() => undefined)) as unknown;
  return isRecord(body) && typeof body.default === 'string' ? body.default : undefined;
}

/** Opens the default workflow; on the first visit only unless `asked`, never over work in progress. */
export async function openDefaultWorkflow(
  host: WorkshopHost,
  options: { asked: boolean },
): Promise<boolean> {
  if (!options.asked && host.storage.getItem(SEEN_KEY)) return false;
  const name = await defaultWorkflow(host);
  if (!name) return false;
  if (!options.asked && host.hasWorkInProgress()) {
    host.storage.setItem(SEEN_KEY, name); // their work stays; the default is one command away
    return false;
  }
  const opened = await openWorkflowByName(host, name);
  if (opened) host.storage.setItem(SEEN_KEY, name);
  return opened;
}

/** Gives the newest toast whose detail is `detail` an Open button (PrimeVue's and the harness's class names). */
function addOpenButton(host: WorkshopHost, detail: string, open: () => void): void {
  const doc = host.document;
  if (!doc) return;
  const toasts = [...doc.querySelectorAll('.p-toast-message')].reverse();
  const toast = toasts.find((t) => t.querySelector('.p-toast-detail')?.textContent === detail);
  const content = toast?.querySelector('.p-toast-message-text') ?? toast;
  if (!content || content.querySelector('.comfyume-toast-open')) return;
  const button = doc.createElement('button');
  button.className = 'comfyume-toast-open p-button p-button-sm';
  button.textContent = 'Open';
  button.addEventListener(
    'click',
    () => {
      open();
      // Opened: the toast has done its job (PrimeVue's own close button dismisses it properly).
      toast?.querySelector<HTMLElement>('.p-toast-close-button')?.click();
    },
    { once: true },
  );
  content.append(button);
}

/** Listens for the workshop's messages; call at import (custom frames nobody listens to are dropped). */
export function connectWorkshop(host: WorkshopHost): void {
  host.api.addEventListener('comfyume.workflow', (e) => {
    const d = (e as CustomEvent).detail as unknown;
    if (!isRecord(d) || typeof d.name !== 'string') return;
    const name = d.name;
    const detail = `${name.replace(/\.json$/, '')} — in your Workflows sidebar`;
    void host.refreshWorkflows().catch(() => undefined);
    host.toast({ severity: 'info', summary: NEW_WORKFLOW_SUMMARY, detail, life: 15_000 });
    // The toast is drawn on the next frame.
    requestAnimationFrame(() =>
      addOpenButton(host, detail, () => void openWorkflowByName(host, name)),
    );
  });
  host.api.addEventListener('comfyume.broadcast', (e) => {
    const d = (e as CustomEvent).detail as unknown;
    if (!isRecord(d) || typeof d.text !== 'string' || !d.text.trim()) return;
    host.toast({
      severity: 'info',
      summary: BROADCAST_SUMMARY,
      detail: d.text.slice(0, BROADCAST_MAX_CHARS), // the toast shows text; markup stays text
      life: 20_000,
    });
  });
}
