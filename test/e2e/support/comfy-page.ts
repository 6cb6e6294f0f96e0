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
  readonly runButton = this.page
    .locator(
      'button[data-testid="queue-button"], [data-testid="queue-button"] > button:first-child',
    )
    .first();

  constructor(readonly page: Page) {}

  /**
   * Opens the UI and waits until the app is set up and our extension registered. Like the stock
   * frontend's own browser tests, it first marks the tutorial done (a setting the first visit
   * stores anyway), so a real frontend does not open its templates browser over the canvas.
   */
  async open(url: string): Promise<void> {
    await this.page.request
      .post(new URL('api/settings/Comfy.TutorialCompleted', url).href, { data: true })
      .catch(() => undefined);
    await this.page.goto(url);
    await this.ready();
  }

  async ready(): Promise<void> {
    await this.page.waitForFunction(
      () => {
        const w = window as unknown as W;
        return Boolean(
          w.app?.graph &&
          customElements.get('comfyume-status-banner') &&
          document.querySelector('comfyume-status-banner'),
        );
      },
      undefined,
      { timeout: 60_000 },
    );
    await this.closeDialogs();
  }

  /** The frontend version the page reports (`undefined` for the legacy UI). */
  frontendVersion(): Promise<string | undefined> {
    return this.page.evaluate(
      () =>
        (window as unknown as { __COMFYUI_FRONTEND_VERSION__?: string })
          .__COMFYUI_FRONTEND_VERSION__,
    );
  }

  /**
   * Closes modal dialogs the way a user does: Escape inside the dialog, else its close button.
   * A real frontend opens its templates browser on a first visit (while a toast may hold the
   * focus, where Escape does nothing), and both open an error dialog for a refused prompt.
   */
  async closeDialogs(): Promise<void> {
    const masks = this.page.locator('.p-dialog-mask');
    for (let i = 0; i < 4 && (await masks.count()) > 0; i++) {
      const dialog = masks.first().locator('.p-dialog, [role="dialog"]').first();
      await dialog.evaluate((el: HTMLElement) => el.focus()).catch(() => undefined);
      await this.page.keyboard.press('Escape');
      const closed = await masks
        .first()
        .waitFor({ state: 'detached', timeout: 2_000 })
        .then(
          () => true,
          () => false,
        );
      if (closed) continue;
      const close = dialog
        .locator('button[aria-label="Close"], .p-dialog-close-button, .p-dialog-header-close')
        .first();
      if (await close.count()) await close.click({ force: true }).catch(() => undefined);
      await masks
        .first()
        .waitFor({ state: 'detached', timeout: 3_000 })
        .catch(() => undefined);
    }
  }

  /** Sets one of the host's settings, as the settings dialog does. */
  setSetting(id: string, value: unknown): Promise<void> {
    return this.page.evaluate(
      ([k, v]) => (window as unknown as W).app.extensionManager.setting.set(k, v),
      [id, value] as const,
    );
  }

  /** The WebSocket client id (sid) the server gave this tab. */
  clientId(): Promise<string> {
    return this.page.evaluate(() => (window as unknown as W).comfyAPI.api.api.clientId as string);
  }

  async waitForClientId(): Promise<string> {
    await this.page.waitForFunction(() =>
      Boolean((window as unknown as W).comfyAPI.api.api.clientId),
    );
    return this.clientId();
  }

  loadApiWorkflow(prompt: Record<string, unknown>): Promise<void> {
    return this.page.evaluate(
      (p) => (window as unknown as W).app.loadApiJson(p, 'comfyume-e2e.json'),
      prompt,
    );
  }

  /**
   * Presses Run the way a user does, closing a dialog in the way first as they would. A real
   * frontend opens its templates browser a moment after a first visit's load, possibly between
   * our look and our click: a click the dialog's mask swallowed is retried once it is closed.
   */
  async run(): Promise<void> {
    // Short tries so a swallowed click is retried soon; a page slowed by a busy machine gets more of them.
    const deadline = Date.now() + 60_000;
    for (;;) {
      await this.closeDialogs();
      try {
        await this.runButton.click({ timeout: 5_000 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
  }

  /** Presses Run and returns the prompt id the server answered. */
  async runAndGetId(): Promise<string> {
    const [response] = await Promise.all([
      this.page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/api/prompt'),
      ),
      this.run(),
    ]);
    // A refused POST has no prompt_id: say what the server answered instead of looking for job "undefined".
    const body = await response.text();
    const promptId =
      response.status() === 200
        ? (JSON.parse(body) as { prompt_id?: unknown }).prompt_id
        : undefined;
    if (typeof promptId !== 'string' || !promptId)
      throw new Error(`POST /api/prompt answered ${response.status()}: ${body.slice(0, 400)}`);
    return promptId;
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
      new MutationObserver(note).observe(root, {
        subtree: true,
        childList: true,
        attributes: true,
      });
    });
    return () => this.page.evaluate(() => (window as unknown as { __phases: string[] }).__phases);
  }

  async waitForPhase(phase: string, timeout = 60_000): Promise<void> {
    await this.page
      .locator(`comfyume-status-banner .banner[data-phase="${phase}"]`)
      .waitFor({ timeout });
  }

  async openTracker(): Promise<void> {
    if (await this.tracker.count()) return;
    await this.page.evaluate(() =>
      (window as unknown as W).app.extensionManager.command.execute(
        'Workspace.ToggleSidebarTab.comfyume-jobs',
      ),
    );
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
      const [x, y] = app.canvas.ds.convertOffsetToCanvas([
        node.pos[0] + node.size[0] / 2,
        node.pos[1] + node.size[1] * 0.7,
      ]);
      const dpr = window.devicePixelRatio || 1;
      const ctx = (app.canvas.canvas as HTMLCanvasElement).getContext('2d')!;
      return [...ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data];
    }, nodeId);
  }

  /** Waits until the node's image area shows a colour close to `rgb` (each channel within `tol`). */
  async waitForNodeColour(
    nodeId: string | number,
    rgb: [number, number, number],
    tol = 12,
    timeout = 30_000,
  ): Promise<number[]> {
    const deadline = Date.now() + timeout;
    let last: number[] = [];
    while (Date.now() < deadline) {
      last = await this.nodeImagePixel(nodeId);
      if (rgb.every((c, i) => Math.abs(c - (last[i] ?? -999)) <= tol)) return last;
      await this.page.waitForTimeout(200);
    }
    throw new Error(`node ${nodeId} shows ${last.join(',')}, expected ~${rgb.join(',')}`);
  }

  /**
   * The colour at the centre of the image a node shows (its `imgs[0]`, which both the harness and
   * the stock frontend set from `executed` and draw on the canvas). For a live stock frontend,
   * whose node layout the canvas-pixel check cannot know. Waits until it is close to `rgb`.
   */
  async waitForNodeImageColour(
    nodeId: string | number,
    rgb: [number, number, number],
    tol = 12,
    timeout = 30_000,
  ): Promise<number[]> {
    const handle = await this.page.waitForFunction(
      ([id, want, tolerance]) => {
        const node = (window as unknown as W).app.graph.getNodeById(Number(id));
        const img = node?.imgs?.[0] as HTMLImageElement | undefined;
        if (!img?.complete || !img.naturalWidth) return false;
        const c = document.createElement('canvas');
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const px = [
          ...ctx.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data,
        ];
        return want.every((v, i) => Math.abs(v - px[i]!) <= tolerance) ? px : false;
      },
      [String(nodeId), rgb, tol] as const,
      { timeout, polling: 250 },
    );
    return (await handle.jsonValue()) as number[];
  }

  /** The URL of the image a node shows once loaded (`imgs[0]`), or '' while it shows none. */
  nodeImageSrc(nodeId: string | number): Promise<string> {
    return this.page.evaluate((id) => {
      const img = (window as unknown as W).app.graph.getNodeById(Number(id))?.imgs?.[0] as
        HTMLImageElement | undefined;
      return img?.complete && img.naturalWidth ? img.src : '';
    }, String(nodeId));
  }

  async screenshot(file: string): Promise<void> {
    await this.page.screenshot({ path: file });
  }
}
