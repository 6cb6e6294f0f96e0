/** @fileoverview Registers <comfyume-status-banner> (guarded) and types it in the tag map. */
import { defineElement } from '../../../../ui-kit/define-element';
import { StatusBanner, type BannerDismissEvent } from './status-banner.component';

export { StatusBanner };
export type { BannerDismissEvent };

defineElement('comfyume-status-banner', StatusBanner);

declare global {
  interface HTMLElementTagNameMap {
    'comfyume-status-banner': StatusBanner;
  }
  interface GlobalEventHandlersEventMap {
    'comfyume-banner-dismiss': BannerDismissEvent;
  }
}
