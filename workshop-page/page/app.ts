/**
 * @fileoverview The harness's `app` (stand-in for `src/scripts/app.ts`, comfyui-protocol.md §5.1):
 * `registerExtension`, the setup lifecycle (load `/extensions` by dynamic import → socket → graph
 * → init → beforeRegisterNodeDef per `/object_info` def → setup → graph load with nodeCreated /
 * loadedGraphNode / afterConfigureGraph), `graphToPrompt`, `queuePrompt` with the events of the
 * generation the page plays (generation.ts), `loadGraphData`, `loadApiJson`, and the api handlers
 * that draw outputs and highlight running nodes.
 */
import { LGraph, LGraphCanvas, LiteGraph, type LGraphNode } from '@comfyorg/litegraph';
import type { ComfyApi, NodeDef } from './api';
import type { HarnessExtensionManager, SettingParams, Command } from './extension-manager';
import { showErrorDialog, showErrorOverlay } from './dialogs';
import type { Generation } from './generation';
import {
  applyValueControls,
  growForImages,
  isWidgetInput,
  nodeClassFor,
  type ImageNode,
} from './nodes';

type Hook = (...args: unknown[]) => unknown;
export type Extension = { name: string; settings?: SettingParams[]; commands?: Command[] } & Record<
  string,
  unknown
>;
type ApiNode = { class_type: string; inputs: Record<string, unknown>; _meta?: { title?: string } };

export class ComfyApp {
  readonly extensions: Extension[] = [];
  graph!: LGraph;
  canvas!: LGraphCanvas;
  nodeDefs: Record<string, NodeDef> = {};
  nodeOutputs: Record<string, unknown> = {};
  lastExecutionError: Record<string, unknown> | null = null;
  private runningIds = new Set<string>();
  private readonly queueItems: { number: number; batchCount: number; requestId: number }[] = [];
  private processingQueue = false;
  private nextQueueRequestId = 1;

  constructor(
    readonly api: ComfyApi,
    readonly extensionManager: HarnessExtensionManager,
    private readonly canvasEl: HTMLCanvasElement,
    readonly generation: Generation,
  ) {}

  registerExtension(ext: Extension): void {
    if (!ext.name) throw new Error("Extensions must have a 'name' property.");
    if (this.extensions.some((e) => e.name === ext.name))
      throw new Error(`Extension named '${ext.name}' already registered.`);
    this.extensions.push(ext);
    for (const s of ext.settings ?? []) this.extensionManager.addSetting(s);
    for (const c of ext.commands ?? []) this.extensionManager.registerCommand(c);
  }

  private call(ext: Extension, method: string, args: unknown[]): unknown {
    const fn = ext[method] as Hook | undefined;
    return typeof fn === 'function' ? fn.call(ext, ...args, this) : undefined;
  }

  private report(ext: Extension, method: string, err: unknown): void {
    console.error(`Error calling extension '${ext.name}' method '${method}'`, err);
  }

  /** `invokeExtensions`: each extension in turn, synchronously; one broken extension must not stop the others. */
  private invokeSync(method: string, ...args: unknown[]): void {
    for (const ext of this.extensions) {
      try {
        this.call(ext, method, args);
      } catch (err) {
        this.report(ext, method, err);
      }
    }
  }

  /** `invokeExtensionsAsync`: every extension's hook at once (Promise.all), each error caught. */
  private async invoke(method: string, ...args: unknown[]): Promise<void> {
    await Promise.all(
      this.extensions.map(async (ext) => {
        try {
          await this.call(ext, method, args);
        } catch (err) {
          this.report(ext, method, err);
        }
      }),
    );
  }

  async setup(): Promise<void> {
    await this.extensionManager.loadSettings();
    const urls = await this.api.getExtensions();
    await Promise.all(
      urls
        .filter((p) => !p.includes('extensions/core'))
        .map((p) =>
          import(/* @vite-ignore */ this.api.fileURL(p)).catch((err) =>
            console.error(`Error loading extension ${p}`, err),
          ),
        ),
    );
    this.addApiUpdateHandlers();
    this.api.init();
    this.graph = new LGraph();
    this.canvas = new LGraphCanvas(this.canvasEl, this.graph);
    this.canvas.render_canvas_border = false; // a debug frame the stock frontend does not draw
    const resize = () => {
      const r = this.canvasEl.parentElement!.getBoundingClientRect();
      this.canvas.resize(r.width, r.height);
    };
    addEventListener('resize', resize);
    resize();
    await this.invoke('init');
    this.nodeDefs = await this.api.getNodeDefs();
    for (const def of Object.values(this.nodeDefs)) {
      const cls = nodeClassFor(def);
      await this.invoke('beforeRegisterNodeDef', cls, def);
      LiteGraph.registerNodeType(def.name, cls);
    }
    await this.invoke('setup');
    const w = window as unknown as Record<string, unknown>;
    w.app = this;
    w.graph = this.graph;
  }

  private node(id: unknown): ImageNode | undefined {
    if (id === null || id === undefined) return undefined;
    const key = String(id);
    return (
      (this.graph.getNodeById(/^\d+$/.test(key) ? Number(key) : key) as ImageNode | null) ??
      undefined
    );
  }

  private addApiUpdateHandlers(): void {
    const on = (type: string, fn: (d: Record<string, unknown>) => void) =>
      this.api.addEventListener(type, (e) =>
        fn(((e as CustomEvent).detail ?? {}) as Record<string, unknown>),
      );
    on('execution_start', () => {
      this.lastExecutionError = null;
      for (const n of this.graph.nodes as ImageNode[]) n.errored = false;
      this.setRunning([]);
    });
    on('progress_state', (d) => {
      const nodes = (d.nodes ?? {}) as Record<string, { state: string; display_node_id?: string }>;
      this.setRunning(
        Object.entries(nodes)
          .filter(([, s]) => s.state === 'running')
          .map(([id, s]) => s.display_node_id ?? id),
      );
    });
    on('executed', (d) => {
      const id = String(d.display_node ?? d.node);
      if (!d.output) return;
      this.nodeOutputs[id] = d.output;
      const node = this.node(id);
      if (!node) return;
      const images = (
        (d.output as { images?: { filename: string; subfolder: string; type: string }[] }).images ??
        []
      ).map((f) => {
        const img = new Image();
        img.onload = () => this.canvas.setDirty(true, true);
        img.src = this.api.apiURL(
          `/view?filename=${encodeURIComponent(f.filename)}&type=${f.type}&subfolder=${encodeURIComponent(f.subfolder)}&rand=${Math.random()}`,
        );
        return img;
      });
      if (images.length) {
        node.imgs = images;
        growForImages(node);
      }
      (node as unknown as { onExecuted?: (o: unknown) => void }).onExecuted?.(d.output);
    });
    on('b_preview_with_metadata', (d) => {
      const node = this.node(d.displayNodeId ?? d.nodeId);
      if (!node) return;
      const img = new Image();
      img.onload = () => this.canvas.setDirty(true, true);
      img.src = URL.createObjectURL(d.blob as Blob);
      node.previewImg = img;
      growForImages(node);
    });
    on('execution_error', (d) => {
      this.lastExecutionError = d;
      const node = this.node(d.node_id);
      if (node) node.errored = true;
      this.setRunning([]);
    });
    for (const type of ['execution_success', 'execution_interrupted'])
      on(type, () => this.setRunning([]));
    this.api.addEventListener('executing', (e) => {
      if ((e as CustomEvent).detail === null) this.setRunning([]);
    });
  }

  private setRunning(ids: string[]): void {
    this.runningIds = new Set(ids);
    for (const n of this.graph?.nodes ?? [])
      (n as ImageNode).running = this.runningIds.has(String(n.id));
    this.canvas?.setDirty(true, true);
  }

  /** Builds the API prompt (`output`) and the UI workflow, as the stock `graphToPrompt`. */
  async graphToPrompt(): Promise<{ output: Record<string, ApiNode>; workflow: unknown }> {
    const output: Record<string, ApiNode> = {};
    for (const node of this.graph.computeExecutionOrder(false) as LGraphNode[]) {
      const def = this.nodeDefs[node.type ?? ''];
      if (!def || node.mode !== 0) continue;
      const inputs: Record<string, unknown> = {};
      for (const w of node.widgets ?? []) {
        if ((w.options as { serialize?: boolean } | undefined)?.serialize !== false)
          inputs[w.name] = w.value;
      }
      node.inputs.forEach((slot, i) => {
        const link = slot.link != null ? this.graph.links.get(slot.link) : undefined;
        if (link) inputs[slot.name] = [String(link.origin_id), link.origin_slot];
        else if (i < 0) inputs[slot.name] = undefined;
      });
      output[String(node.id)] = {
        inputs,
        class_type: node.type ?? '',
        _meta: { title: node.title },
      };
    }
    return { output, workflow: this.graph.serialize() };
  }

  /**
   * The Run button, as the generation's `app.queuePrompt` does it (generation.ts): queue items
   * processed last-in first-out by one loop, one `api.queuePrompt` per batch item, a refused
   * prompt shown as that generation shows it and ending that item, and the generation's events.
   */
  async queuePrompt(number: number, batchCount = 1): Promise<boolean> {
    const requestId = this.nextQueueRequestId++;
    this.queueItems.push({ number, batchCount, requestId });
    if (this.generation.promptQueueing)
      this.api.dispatchCustomEvent('promptQueueing', { requestId, batchCount });
    if (this.processingQueue) return false;
    this.processingQueue = true;
    let refused = false;
    try {
      while (this.queueItems.length) {
        const item = this.queueItems.pop()!;
        let queuedCount = 0;
        for (let i = 0; i < item.batchCount; i++) {
          const p = await this.graphToPrompt();
          try {
            await this.api.queuePrompt(item.number, p);
          } catch (err) {
            refused = true;
            const body = (err as { response?: { error?: { message?: string } | string } }).response;
            const message =
              typeof body?.error === 'string' ? body.error : (body?.error?.message ?? String(err));
            if (this.generation.refusedPrompt === 'dialog')
              showErrorDialog('Prompt execution failed', message);
            else showErrorOverlay([message]);
            console.error(err);
            break;
          }
          queuedCount++;
          for (const node of this.graph.nodes) applyValueControls(node);
        }
        if (this.generation.promptQueued === 'after-success' && queuedCount > 0) {
          this.api.dispatchCustomEvent('promptQueued', {
            number: item.number,
            batchCount: queuedCount,
            requestId: item.requestId,
          });
        }
      }
    } finally {
      this.processingQueue = false;
    }
    if (this.generation.promptQueued === 'always')
      this.api.dispatchCustomEvent('promptQueued', { number, batchCount });
    return !refused;
  }

  async loadGraphData(workflow: unknown, _c?: boolean, _v?: boolean, name?: string): Promise<void> {
    await this.invoke('beforeConfigureGraph', workflow, []);
    this.graph.clear();
    this.graph.configure(workflow as Parameters<LGraph['configure']>[0]);
    for (const node of this.graph.nodes) this.invokeSync('nodeCreated', node);
    for (const node of this.graph.nodes) this.invokeSync('loadedGraphNode', node);
    this.extensionManager.workflow?.opened(name ?? null);
    await this.invoke('afterConfigureGraph', []);
    this.canvas.setDirty(true, true);
  }

  /** Loads an API-format prompt, laying nodes out in columns by depth (like `app.loadApiJson`). */
  async loadApiJson(apiData: Record<string, ApiNode>): Promise<void> {
    await this.invoke('beforeConfigureGraph', apiData, []);
    this.graph.clear();
    const ids = Object.keys(apiData);
    const depth = (id: string, seen = new Set<string>()): number => {
      if (seen.has(id)) return 0;
      seen.add(id);
      const links = Object.values(apiData[id]?.inputs ?? {}).filter(
        (v): v is [string, number] => Array.isArray(v) && typeof v[0] === 'string',
      );
      return links.length ? 1 + Math.max(...links.map((l) => depth(l[0], seen))) : 0;
    };
    const columns = new Map<number, number>();
    for (const id of ids) {
      const spec = apiData[id]!;
      const node = LiteGraph.createNode(spec.class_type) as LGraphNode | null;
      if (!node) throw new Error(`Unknown node type ${spec.class_type}`);
      node.id = Number(id);
      if (spec._meta?.title) node.title = spec._meta.title;
      const d = depth(id);
      const row = columns.get(d) ?? 0;
      node.pos = [40 + d * 300, 60 + row];
      columns.set(d, row + node.size[1] + 70);
      this.graph.add(node);
      for (const w of node.widgets ?? [])
        if (w.name in spec.inputs) w.value = spec.inputs[w.name] as typeof w.value;
    }
    for (const id of ids) {
      const node = this.node(id)!;
      for (const [name, value] of Object.entries(apiData[id]!.inputs)) {
        if (!Array.isArray(value) || typeof value[0] !== 'string') continue;
        const slot = node.inputs.findIndex((s) => s.name === name);
        const from = this.node(value[0]);
        if (from && slot >= 0) from.connect(Number(value[1]), node, slot);
      }
    }
    for (const node of this.graph.nodes) this.invokeSync('nodeCreated', node);
    await this.invoke('afterConfigureGraph', []);
    this.canvas.setDirty(true, true);
  }

  /** Node ids whose widget inputs a prompt must carry (used by tests to check fidelity). */
  widgetInputs(type: string): string[] {
    const def = this.nodeDefs[type];
    return Object.entries({ ...def?.input.required, ...def?.input.optional })
      .filter(([, spec]) => isWidgetInput(spec))
      .map(([name]) => name);
  }
}
