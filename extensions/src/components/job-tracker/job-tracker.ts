/** @fileoverview Registers <comfyume-job-tracker> (guarded) and types it in the tag map. */
import { defineElement } from '../../../../ui-kit/define-element';
import { JobTracker, type GalleryOptOutEvent, type JobActionEvent } from './job-tracker.component';

export { JobTracker };
export type { JobActionEvent };

defineElement('comfyume-job-tracker', JobTracker);

declare global {
  interface HTMLElementTagNameMap {
    'comfyume-job-tracker': JobTracker;
  }
  interface GlobalEventHandlersEventMap {
    'comfyume-job-cancel': JobActionEvent;
    'comfyume-job-requeue': JobActionEvent;
    'comfyume-gallery-opt-out': GalleryOptOutEvent;
  }
}
