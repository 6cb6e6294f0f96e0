/**
 * @fileoverview Which stock frontend the harness page behaves as, chosen by `?frontend=1.35.9` or
 * `?frontend=1.45.0` (the default). Every difference the extension can see is listed here with
 * the frontend source it mirrors (ComfyUI_frontend at tag v1.35.9, and at 5948002de "1.45.0");
 * test/e2e/frontend-contracts.test.ts checks the harness keeps each one.
 */

export type GenerationId = '1.35.9' | '1.45.0';

export type Generation = {
  /** `window.__COMFYUI_FRONTEND_VERSION__`, set by App.vue's onMounted (1.35.9 App.vue:51, 1.45.0 App.vue:62). */
  version: GenerationId;
  /**
   * `app.queuePrompt` dispatches `promptQueueing {requestId, batchCount}` before anything else:
   * 1.45.0 app.ts:1561; absent in 1.35.9.
   */
  promptQueueing: boolean;
  /**
   * When `promptQueued` is dispatched: 1.35.9 app.ts:1407 once after the loop, always (even after
   * a refused POST), with `{number, batchCount}`; 1.45.0 app.ts:1722 per queue item and only when
   * at least one POST succeeded, with `{number, batchCount: queuedCount, requestId}`.
   */
  promptQueued: 'always' | 'after-success';
  /**
   * The Run control's DOM: 1.35.9 ComfyQueueButton.vue:3-14 is a PrimeVue SplitButton whose root
   * `<div class="p-splitbutton">` carries `data-testid="queue-button"` and holds two `<button>`s
   * (Run, then the mode dropdown); 1.45.0 ComfyQueueButton.vue:6-14 puts the test id on the
   * `<button>` itself, with the batch count before it and the mode menu trigger after it.
   */
  runButton: 'split-button' | 'button';
  /**
   * A refused prompt (PromptExecutionError): 1.35.9 app.ts:1384-1387 opens the modal error
   * dialog; 1.45.0 app.ts:1664-1671 opens it only when `Comfy.RightSidePanel.ShowErrorsTab` is
   * off (default on, coreSettings.ts:1303-1309) and otherwise shows the non-modal error overlay
   * (ErrorOverlay.vue, `data-testid="error-overlay"`).
   */
  refusedPrompt: 'dialog' | 'error-overlay';
  /** The server's `feature_flags` frame becomes an api event: 1.45.0 api.ts:758; 1.35.9 api.ts:669-676 only stores it. */
  featureFlagsEvent: boolean;
  /** The first frame the page sends on its socket (src/config/clientFeatureFlags.json; as recorded in each real-<version>/frontend/ws.jsonl). */
  clientFeatureFlags: Record<string, boolean>;
};

export const generations: Record<GenerationId, Generation> = {
  '1.35.9': {
    version: '1.35.9',
    promptQueueing: false,
    promptQueued: 'always',
    runButton: 'split-button',
    refusedPrompt: 'dialog',
    featureFlagsEvent: false,
    clientFeatureFlags: { supports_preview_metadata: true, supports_manager_v4_ui: true },
  },
  '1.45.0': {
    version: '1.45.0',
    promptQueueing: true,
    promptQueued: 'after-success',
    runButton: 'button',
    refusedPrompt: 'error-overlay',
    featureFlagsEvent: true,
    clientFeatureFlags: {
      supports_preview_metadata: true,
      supports_manager_v4_ui: true,
      supports_progress_text_metadata: true,
    },
  },
};

/** The generation named by the page's `?frontend=` (the newest when absent or unknown). */
export function currentGeneration(search = location.search): Generation {
  const wanted = new URLSearchParams(search).get('frontend');
  return generations[wanted as GenerationId] ?? generations['1.45.0'];
}

/*
 * Shared by both generations (same lines in both trees):
 * - ExtensionSlot.vue:5-12 + :26-28: a custom sidebar tab's `render(el)` runs from a Vue function
 *   ref with an `el` that is not yet in the document (seen: `el.isConnected === false` inside
 *   render, `true` in a microtask queued from it). Showing the tab again renders into a new `el`; switching from a Vue tab
 *   back to ours renders into an `el` that is already connected.
 * - ExtensionSlot.vue:30-34: `destroy()` only from onBeforeUnmount, i.e. when the sidebar closes;
 *   never when the user switches to another tab.
 * - extensionService.ts `invokeExtensionsAsync` (1.35.9 :170-174, 1.45.0 :194-198): `init` and
 *   `setup` of all extensions run concurrently (Promise.all), each error caught and logged.
 * - app.ts setup order (1.35.9 :765/:711/:859/:864): load extensions → api.init() (socket) →
 *   init → node defs → setup; `window.app` is assigned after setup (GraphCanvas.vue 1.35.9:440,
 *   1.45.0:533).
 * - settingStore.ts `set` (1.35.9 :64-77, 1.45.0 :99-125): a setting's onChange(new, old) runs
 *   before the value is stored (get() inside it answers the old value); unchanged values are skipped.
 * - api.ts (1.35.9 :678, 1.45.0 :761): a WS message of an unknown type reaches listeners only if
 *   one was registered with addEventListener; otherwise it is reported once and dropped.
 */
