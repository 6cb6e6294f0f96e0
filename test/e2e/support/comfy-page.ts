/**
 * @fileoverview Page object for a ComfyUI tab with our extension: everything goes through the
 * ComfyApp JavaScript API (`window.app`), the Run control, the litegraph canvas and our custom
 * elements, so the same code drives the harness and a live stock frontend of either generation
 * (`E2E_BASE_URL`): 1.45's Run is `<button data-testid="queue-button">`, 1.35's is the first
 * `<button>` inside the SplitButton root that carries that test id.
 */
import type { Page } from 'playwright-core';

type W = { app: any; comfyAPI: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export class ComfyPage {
  readonly banner = this.page.locator('comfyume-status-banner .banner');
  readonly bannerTitle = this.page.locator('comfyume-status-banner .title');
  readonly bannerDetail = this.page.locator('comfyume-status-banner .detail');
  readonly tracker = this.page.locator('comfyume-job-tracker');
  readonly toasts = this.page.locator('.p-toast-message');
  /** Run in either generation (a SplitButton's own dropdown button comes second). */
  readonly runButton = this.page.locator('button[data-testid="queue-button"], [data-testid="queue-button"] > button:first-child').first();

  constructor(readonly page: Page) {}

  /** Opens the UI and waits until the app is set up and our extension registered. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.ready();
  }

  async ready(): Promise<void> {
    await this.page.waitForFunction(
      () => {
        const w = window as unknown as W;
        return Boolean(w.app?.graph && customElements.get('comfyume-status-banner') && document.querySelector('comfyume-status-banner'));
      },
      undefined,
      { timeout: 60_000 },
    );
    await this.closeDialogs();
  }

  /** The frontend version the page reports (`undefined` for the legacy UI). */
  frontendVersion(): Promise<string | undefined> {
    return this.page.evaluate(() => (window as unknown as { __COMFYUI_FRONTEND_VERSION__?: string }).__COMFYUI_FRONTEND_VERSION__);
  }

  /**
   * Closes modal dialogs the way a user does (Escape): a real frontend opens its templates
   * browser on a first visit, and both open an error dialog for a refused prompt.
   */
  async closeDialogs(): Promise<void> {
    const masks = this.page.locator('.p-dialog-mask');
    for (let i = 0; i < 5 && (await masks.count()) > 0; i++) {
      await this.page.keyboard.press('Escape');
      await masks.first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
    }
  }

  /** Sets one of the host's settings, as the settings dialog does. */
  setSetting(id: string, value: unknown): Promise<void> {
    return this.page.evaluate(([k, v]) => (window as unknown as W).app.extensionManager.setting.set(k, v), [id, value] as const);
  }

  /** The WebSocket client id (sid) the server gave this tab. */
  clientId(): Promise<string> {
    return this.page.evaluate(() => (window as unknown as W).comfyAPI.api.api.clientId as string);
  }

  async waitForClientId(): Promise<string> {
    await this.page.waitForFunction(() => Boolean((window as unknown as W).comfyAPI.api.api.clientId));
    return this.clientId();
  }

  loadApiWorkflow(prompt: Record<string, unknown>): Promise<void> {
    return this.page.evaluate((p) => (window as unknown as W).app.loadApiJson(p, 'comfyume-e2e.json'), prompt);
  }

  /**
   * Presses Run the way a user does, closing a dialog in the way first as they would. A real
   * frontend opens its templates browser a moment after a first visit's load, possibly between
   * our look and our click: a click the dialog's mask swallowed is retried once it is closed.
   */
  async run(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.closeDialogs();
      try {
        await this.runButton.click({ timeout: 5_000 });
        return;
      } catch (err) {
        if (attempt >= 4 || (await this.page.locator('.p-dialog-mask').count()) === 0) throw err;
      }
    }
  }

  /** Presses Run and returns the prompt id the server answered. */
  async runAndGetId(): Promise<string> {
    const [response] = await Promise.all([
      this.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/api/prompt')),
      this.run(),
    ]);
    return ((await response.json()) as { prompt_id: string }).prompt_id;
  }

  /** Records every banner phase the page shows from now on (a MutationObserver in the page). */
  async recordPhases(): Promise<() => Promise<string[]>> {
    await this.page.evaluate(() => {
      const w = window as unknown as { __phases: string[] };
      w.__phases = [];
      const root = document.querySelector('comfyume-status-banner')!.shadowRoot!;
      const note = () => {
        const phase = root.querySelector('.banner')?.getAttribute('data-phase');
        if (phase && w.__phases.at(-1) !== phase) w.__phases.push(phase);
      };
      note();
      new MutationObserver(note).observe(root, { subtree: true, childList: true, attributes: true });
    });
    return () => this.page.evaluate(() => (window as unknown as { __phases: string[] }).__phases);
  }

  async waitForPhase(phase: string, timeout = 60_000): Promise<void> {
    await this.page.locator(`comfyume-status-banner .banner[data-phase="${phase}"]`).waitFor({ timeout });
  }

  async openTracker(): Promise<void> {
    if (await this.tracker.count()) return;
    await this.page.evaluate(() => (window as unknown as W).app.extensionManager.command.execute('Workspace.ToggleSidebarTab.comfyume-jobs'));
    await this.tracker.waitFor();
  }

  trackerRow(jobId: string) {
    return this.page.locator(`comfyume-job-tracker li[data-job-id="${jobId}"]`);
  }

  /**
   * The colour the canvas shows inside a node's image area (below its widgets), after a forced
   * redraw. Returns [r, g, b, a].
   */
  async nodeImagePixel(nodeId: string | number): Promise<number[]> {
    return this.page.evaluate((id) => {
      const app = (window as unknown as W).app;
      const node = app.graph.getNodeById(Number(id));
      if (!node) throw new Error(`no node ${id}`);
      app.canvas.draw(true, true);
      const [x, y] = app.canvas.ds.convertOffsetToCanvas([node.pos[0] + node.size[0] / 2, node.pos[1] + node.size[1] * 0.7]);
      const dpr = window.devicePixelRatio || 1;
      const ctx = (app.canvas.canvas as HTMLCanvasElement).getContext('2d')!;
      return [...ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data];
    }, nodeId);
  }

  /** Waits until the node's image area shows a colour close to `rgb` (each channel within `tol`). */
  async waitForNodeColour(nodeId: string | number, rgb: [number, number, number], tol = 12, timeout = 30_000): Promise<number[]> {
    const deadline = Date.now() + timeout;
    let last: number[] = [];
    while (Date.now() < deadline) {
      last = await this.nodeImagePixel(nodeId);
      if (rgb.every((c, i) => Math.abs(c - (last[i] ?? -999)) <= tol)) return last;
      await this.page.waitForTimeout(200);
    }
    throw new Error(`node ${nodeId} shows ${last.join(',')}, expected ~${rgb.join(',')}`);
  }

  async screenshot(file: string): Promise<void> {
    await this.page.screenshot({ path: file });
  }
}
