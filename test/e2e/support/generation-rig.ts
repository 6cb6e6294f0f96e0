/**
 * @fileoverview Hooks and helpers for browser tests that open the harness as one frontend
 * generation or the other (`?frontend=`, workshop-page/page/generation.ts): one rig per file, a
 * clean sidecar and browser per test, and the steps every such test takes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { Browser } from './browser';
import { ComfyPage } from './comfy-page';
import { resetBrowser, startHarnessRig, type HarnessRig } from './harness-rig';
import { jobMessage, jobSnapshot, type JobSnapshot } from './job-snapshot';
import { screenPath } from './screens';
import type { ScriptedSidecar } from './scripted-sidecar';
import { invertWorkflow } from './workflows';

export const GENERATIONS = ['1.35.9', '1.45.0'] as const;
export type Generation = (typeof GENERATIONS)[number];

/** EmptyImage → ImageInvert(2) → PreviewImage + SaveImage(4), the recorded stock Run. */
export const workflow = invertWorkflow();
/** What SaveImage(4) reports when such a job is done. */
export const savedOutput = {
  '4': { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }] },
};

type W = { app: { extensionManager: { command: { execute(id: string): Promise<void> } } } };

export type GenerationRig = {
  readonly sidecar: ScriptedSidecar;
  readonly browser: Browser;
  /** A tab of the harness playing `gen`, with the workflow loaded and its socket up. */
  open(gen: Generation, page?: ComfyPage['page']): Promise<ComfyPage>;
  /** Presses Run and returns the id of the prompt the sidecar received. */
  queue(comfy: ComfyPage): Promise<string>;
  /** Sends the tabs a `comfyume.job` snapshot of job `id`, as the sidecar reports a job. */
  report(id: string, over: Partial<JobSnapshot>): void;
  toggleTab(comfy: ComfyPage, tab: string): Promise<void>;
  shot(comfy: ComfyPage, name: string): Promise<void>;
};

export function useGenerationRig(): GenerationRig {
  let rig: HarnessRig;
  beforeAll(async () => {
    rig = await startHarnessRig();
  });
  afterAll(() => rig?.close());
  beforeEach(() => {
    rig.sidecar.jobs = { active: [], finished: [] };
    rig.sidecar.promptDelayMs = 0;
    rig.sidecar.refusePrompts = false;
  });
  afterEach(() => resetBrowser(rig.browser));
  return {
    get sidecar() {
      return rig.sidecar;
    },
    get browser() {
      return rig.browser;
    },
    async open(gen, page) {
      const comfy = new ComfyPage(page ?? (await rig.browser.newPage()));
      await comfy.open(`${rig.harness.url}?frontend=${gen}`);
      await comfy.loadApiWorkflow(workflow);
      await comfy.waitForClientId();
      return comfy;
    },
    async queue(comfy) {
      const before = rig.sidecar.prompts.length;
      await comfy.run();
      await expect.poll(() => rig.sidecar.prompts.length, { timeout: 20_000 }).toBe(before + 1);
      return rig.sidecar.prompts.at(-1)!.promptId;
    },
    report: (id, over) => rig.sidecar.send(jobMessage(jobSnapshot(id, over))),
    toggleTab: (comfy, tab) =>
      comfy.page.evaluate(
        (id) =>
          (window as unknown as W).app.extensionManager.command.execute(
            `Workspace.ToggleSidebarTab.${id}`,
          ),
        tab,
      ),
    async shot(comfy, name) {
      const file = screenPath(name);
      if (file) await comfy.screenshot(file);
    },
  };
}
