/**
 * @fileoverview Litegraph node types built from `/object_info`, as the stock frontend does:
 * widget inputs (INT, FLOAT, STRING, BOOLEAN, combos) become widgets, other types become slots.
 * Nodes draw the images of their last `executed` output (or the live preview) under their
 * widgets, and a green outline while `progress_state` says they run.
 */
import { LGraphNode, LiteGraph } from '@comfyorg/litegraph';
import type { NodeDef } from './api';

export type ImageNode = LGraphNode & {
  imgs?: HTMLImageElement[];
  previewImg?: HTMLImageElement;
  running?: boolean;
  errored?: boolean;
  comfyClass: string;
};

const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN']);

/** Is this input a widget (its value travels in the prompt) rather than a link slot? */
export function isWidgetInput(spec: unknown[]): boolean {
  const type = spec[0];
  return (
    Array.isArray(type) ||
    (typeof type === 'string' && (WIDGET_TYPES.has(type) || type === 'COMBO'))
  );
}

/** Litegraph warns about widgets without a callback; ours need none (values are read at queue time). */
const noop = (): void => undefined;

/** The stock frontend's "control after generate" modes for seed-like inputs. */
const CONTROL_MODES = ['fixed', 'increment', 'decrement', 'randomize'];

type Widget = { name: string; value: unknown; options?: Record<string, unknown> };

/**
 * Applies every value-control widget of the node after a prompt was queued, as the stock
 * frontend does (so pressing Run again renders a new image instead of a fully cached one).
 */
export function applyValueControls(node: LGraphNode): void {
  for (const w of (node.widgets ?? []) as unknown as Widget[]) {
    const target = w.options?.controls as Widget | undefined;
    if (!target || typeof target.value !== 'number') continue;
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = (target.options ?? {}) as {
      min?: number;
      max?: number;
    };
    const top = Math.min(max, Number.MAX_SAFE_INTEGER);
    if (w.value === 'randomize') target.value = Math.floor(min + Math.random() * (top - min));
    else if (w.value === 'increment') target.value = Math.min(top, target.value + 1);
    else if (w.value === 'decrement') target.value = Math.max(min, target.value - 1);
  }
}

function addWidgetFor(node: LGraphNode, name: string, spec: unknown[]): void {
  const [type, rawOpts] = spec;
  const opts = (rawOpts ?? {}) as Record<string, unknown>;
  const n = node as unknown as { addWidget: (...a: unknown[]) => unknown };
  if (Array.isArray(type) || type === 'COMBO') {
    const values = (Array.isArray(type) ? type : (opts.options as unknown[])) ?? [];
    n.addWidget('combo', name, opts.default ?? values[0] ?? '', noop, { values });
  } else if (type === 'INT' || type === 'FLOAT') {
    const precision = type === 'INT' ? 0 : 2;
    const target = n.addWidget('number', name, opts.default ?? 0, noop, {
      min: opts.min,
      max: opts.max,
      step2: opts.step ?? 1,
      precision,
    });
    if (opts.control_after_generate) {
      // Saved in widgets_values right after the seed, never sent in the prompt (serialize: false).
      n.addWidget('combo', 'control_after_generate', 'randomize', noop, {
        values: CONTROL_MODES,
        serialize: false,
        controls: target,
      });
    }
  } else if (type === 'BOOLEAN') {
    n.addWidget('toggle', name, opts.default ?? false, noop, {});
  } else {
    n.addWidget('text', name, opts.default ?? '', noop, {});
  }
}

/** Where a node's image area starts: below its slots and widgets. */
const imageTop = (node: LGraphNode) =>
  (node.widgets?.length ?? 0) * (LiteGraph.NODE_WIDGET_HEIGHT + 4) +
  10 +
  Math.max(node.inputs.length, node.outputs.length) * LiteGraph.NODE_SLOT_HEIGHT;

/** Like the stock frontend, a node that receives images grows to show them (saved graphs keep small sizes). */
export function growForImages(node: LGraphNode): void {
  const minHeight = imageTop(node) + 220;
  if (node.size[1] < minHeight) node.setSize([Math.max(node.size[0], 240), minHeight]);
}

function drawImages(node: ImageNode, ctx: CanvasRenderingContext2D): void {
  const img = node.imgs?.[0] ?? node.previewImg;
  if (!img || !img.complete || !img.naturalWidth) return;
  const top = imageTop(node);
  const w = node.size[0] - 10;
  const h = node.size[1] - top - 18;
  if (h <= 10) return;
  const scale = Math.min(w / img.naturalWidth, h / img.naturalHeight);
  const dw = img.naturalWidth * scale;
  const dh = img.naturalHeight * scale;
  const x = (node.size[0] - dw) / 2;
  const y = top + (h - dh) / 2;
  ctx.drawImage(img, x, y, dw, dh);
  ctx.fillStyle = '#aaa';
  ctx.font = '10px Inter, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText(`${img.naturalWidth} × ${img.naturalHeight}`, node.size[0] / 2, y + dh + 12);
}

/** Builds one litegraph node class for a ComfyUI node definition. */
export function nodeClassFor(def: NodeDef): typeof LGraphNode {
  const required = Object.entries(def.input.required ?? {});
  const optional = Object.entries(def.input.optional ?? {});
  const cls = class extends LGraphNode {
    static override title = def.display_name ?? def.name;
    static comfyClass = def.name;
    static nodeData = def;
    override comfyClass = def.name;
    constructor(title?: string) {
      super(title ?? def.display_name ?? def.name);
      for (const [name, spec] of [...required, ...optional]) {
        if (isWidgetInput(spec)) addWidgetFor(this, name, spec);
        else this.addInput(name, String(spec[0]));
      }
      def.output.forEach((type, i) =>
        this.addOutput(def.output_name?.[i] ?? String(type), Array.isArray(type) ? 'COMBO' : type),
      );
      this.serialize_widgets = true;
      const size = this.computeSize();
      this.size = [Math.max(size[0], 220), size[1] + (def.output_node ? 200 : 0)];
    }
    override onDrawBackground(ctx: CanvasRenderingContext2D): void {
      drawImages(this as unknown as ImageNode, ctx);
    }
    override onDrawForeground(ctx: CanvasRenderingContext2D): void {
      const self = this as unknown as ImageNode;
      if (!self.running && !self.errored) return;
      ctx.strokeStyle = self.errored ? '#f33' : '#0f0';
      ctx.lineWidth = 2;
      const t = LiteGraph.NODE_TITLE_HEIGHT;
      ctx.strokeRect(-2, -t - 2, this.size[0] + 4, this.size[1] + t + 4);
    }
  };
  return cls as unknown as typeof LGraphNode;
}
