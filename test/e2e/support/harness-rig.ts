/**
 * @fileoverview The rig of the harness-based browser tests: the extension built as CI builds it,
 * a scripted sidecar, the harness page in front of it, and one Chromium; plus the reset between
 * tests (what the extension keeps in the browser, and every page).
 */
import { startHarness, type Harness } from '../../../workshop-page/server';
import { buildExtension } from '../stack';
import { launchBrowser, type Browser } from './browser';
import { startScriptedSidecar, type ScriptedSidecar } from './scripted-sidecar';

export type HarnessRig = {
  sidecar: ScriptedSidecar;
  harness: Harness;
  browser: Browser;
  close: () => Promise<void>;
};

export async function startHarnessRig(): Promise<HarnessRig> {
  buildExtension();
  const sidecar = await startScriptedSidecar();
  const harness = await startHarness({ sidecarUrl: sidecar.url });
  const browser = await launchBrowser();
  return {
    sidecar,
    harness,
    browser,
    close: async () => {
      await browser.close();
      await harness.close();
      await sidecar.close();
    },
  };
}

/** No stored jobs, banner dismissals or shared worker state carry over to the next test. */
export async function resetBrowser(browser: Browser): Promise<void> {
  const pages = browser.context.pages();
  await pages[0]?.evaluate(async () => {
    localStorage.clear();
    await new Promise((resolve) => {
      const q = indexedDB.deleteDatabase('comfyume');
      q.onsuccess = q.onerror = q.onblocked = () => resolve(null);
    });
  });
  for (const page of pages) await page.close();
}
