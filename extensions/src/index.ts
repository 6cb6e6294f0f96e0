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
  ],
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
