/**
 * @fileoverview The one module ComfyUI runs from our web directory: registers the extension
 * synchronously at import (hooks are not replayed for late registrations, §5.1). Glue only.
 */
import { app, api } from './comfy';
import './components/status-banner/status-banner';
import './components/job-tracker/job-tracker';
import { announceExtension, type SocketApi } from './controller/hello';
import { BufferedSink, connectJobFeed } from './controller/job-feed';
import { JobStatus } from './controller/job-status';
import { connectPromptSending, SendingCounter } from './controller/prompt-sending';
import { bannerSettings, settingReader } from './controller/banner-settings';
import { connectWorkshop, openDefaultWorkflow, type WorkshopHost } from './controller/workshop';

let status: JobStatus | undefined;
const settings = settingReader((id) =>
  (app.extensionManager?.setting as { get(id: string): unknown } | undefined)?.get(id),
);
// Listen now, not in setup(): the socket is already open by then and custom frames nobody listened
// to are dropped. The buffer holds them until the worker is connected.
const feed = new BufferedSink();
const sending = new SendingCounter((count) => status?.setSending(count));
connectJobFeed(api as unknown as EventTarget, feed, { seen: (id) => sending.seen(id) });
announceExtension(api as unknown as SocketApi);
// Every generation posts through api.queuePrompt; only newer ones also announce promptQueueing.
connectPromptSending(
  api as unknown as Parameters<typeof connectPromptSending>[0],
  sending,
  ({ promptId, number }) =>
    feed.dispatch({ type: 'accepted', id: promptId, number, at: Date.now() }),
);

/** The frontend's workflow store (`app.extensionManager.workflow`; the harness plays it too). */
type WorkflowStore = { syncWorkflows?(): Promise<void>; activeWorkflow?: { isModified?: boolean } };
const workflowStore = () =>
  (app.extensionManager as unknown as { workflow?: WorkflowStore } | undefined)?.workflow;
const workshop: WorkshopHost = {
  api: api as unknown as WorkshopHost['api'],
  toast: (message) => app.extensionManager?.toast?.add(message as never),
  refreshWorkflows: async () => {
    await workflowStore()?.syncWorkflows?.();
  },
  openWorkflow: async (name, workflow) => {
    await app.loadGraphData(workflow as never, true, true, name);
  },
  hasWorkInProgress: () => {
    const active = workflowStore()?.activeWorkflow;
    return active ? Boolean(active.isModified) : (app.graph?.nodes?.length ?? 0) > 0;
  },
  storage: localStorage,
  document,
};
connectWorkshop(workshop);
let firstGraphSeen = false;

app.registerExtension({
  name: 'Comfyume.JobStatus',
  // Third-party setting ids are not in the frontend's typed union of known settings.
  settings: bannerSettings((id, value) => {
    settings.changed(id, value);
    status?.settingsChanged();
  }) as never,
  commands: [
    {
      id: 'Comfyume.Jobs.Toggle',
      label: 'Show GPU jobs',
      icon: 'pi pi-server',
      function: () =>
        app.extensionManager.command.execute('Workspace.ToggleSidebarTab.comfyume-jobs'),
    },
    {
      id: 'Comfyume.Workshop.OpenDefault',
      label: "Open the workshop's default workflow",
      icon: 'pi pi-book',
      function: () => openDefaultWorkflow(workshop, { asked: true }),
    },
  ],
  // The page's first graph (the frontend's default or a restored tab) is loaded after setup: only
  // then can the workshop's default tell an untouched canvas from work in progress.
  afterConfigureGraph() {
    if (firstGraphSeen) return;
    firstGraphSeen = true;
    void openDefaultWorkflow(workshop, { asked: false }).catch(() => undefined);
  },
  async setup() {
    status = new JobStatus(app, api, feed, sending, settings.read);
    app.extensionManager.registerSidebarTab({
      id: 'comfyume-jobs',
      icon: 'pi pi-server',
      title: 'GPU jobs',
      tooltip: 'Your jobs on the remote GPU',
      type: 'custom',
      // No destroy: the frontend does not call it when the user switches tabs, and a tracker
      // that leaves the document lets go of its subscription by itself (host-slot.ts).
      render: (el: HTMLElement) => status?.mountTracker(el),
    });
    if (sending.count) status.setSending(sending.count);
    await status.start();
  },
});
