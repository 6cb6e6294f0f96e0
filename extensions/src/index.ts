/**
 * @fileoverview The one module ComfyUI runs from our web directory: registers the extension
 * synchronously at import (hooks are not replayed for late registrations, §5.1). Glue only.
 */
import { app, api } from './comfy';
import './components/status-banner/status-banner';
import './components/job-tracker/job-tracker';
import { announceExtension, type SocketApi } from './controller/hello';
import { BufferedSink, connectJobFeed } from './controller/job-feed';
import { BANNER_SETTING, JobStatus } from './controller/job-status';

let status: JobStatus | undefined;
// Listen now, not in setup(): the socket is already open by then and custom frames nobody listened
// to are dropped. The buffer holds them until the worker is connected.
const feed = new BufferedSink();
connectJobFeed(api as unknown as EventTarget, feed);
announceExtension(api as unknown as SocketApi);

app.registerExtension({
  name: 'Comfyume.JobStatus',
  settings: [
    {
      // Third-party setting ids are not in the frontend's typed union of known settings.
      id: BANNER_SETTING as never,
      name: 'Show the GPU job status banner',
      type: 'boolean',
      defaultValue: true,
      category: ['Comfyume', 'Banner', 'Enabled'],
      tooltip: 'Queue position, GPU warm-up, progress and the outcome of your jobs on the remote GPU.',
      onChange: (value: unknown) => status?.setBannerEnabled(value !== false),
    },
  ],
  commands: [
    {
      id: 'Comfyume.Jobs.Toggle',
      label: 'Show GPU jobs',
      icon: 'pi pi-server',
      function: () => app.extensionManager.command.execute('Workspace.ToggleSidebarTab.comfyume-jobs'),
    },
  ],
  async setup() {
    status = new JobStatus(app, api, feed);
    app.extensionManager.registerSidebarTab({
      id: 'comfyume-jobs',
      icon: 'pi pi-server',
      title: 'GPU jobs',
      tooltip: 'Your jobs on the remote GPU',
      type: 'custom',
      render: (el: HTMLElement) => status?.mountTracker(el),
      destroy: () => status?.unmountTracker(),
    });
    await status.start();
  },
});
