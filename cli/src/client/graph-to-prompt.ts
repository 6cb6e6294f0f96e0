/**
 * @fileoverview UI-format workflow (litegraph JSON, as saved by the ComfyUI frontend) → API-format
 * prompt, like the frontend's graphToPrompt for plain graphs: widget values are matched to inputs
 * in object_info order (skipping the seed widgets' `control_after_generate` value), links become
 * `[originId, slot]`, Reroutes are followed, muted nodes dropped and bypassed nodes passed through.
 * Anything it cannot convert faithfully (subgraphs, group nodes, unknown node types) is refused
 * with a message, never guessed.
 */
import { z } from 'zod';

const UiNode = z
  .object({
    id: z.union([z.number(), z.string()]),
    type: z.string(),
    mode: z.number().optional(),
    title: z.string().optional(),
    inputs: z
      .array(
        z
          .object({
            name: z.string(),
            type: z.unknown().optional(),
            link: z.number().nullable().optional(),
            widget: z.object({ name: z.string() }).optional(),
          })
          .passthrough(),
      )
      .optional(),
    outputs: z
      .array(z.object({ name: z.string().optional(), type: z.unknown().optional() }).passthrough())
      .optional(),
    widgets_values: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
  })
  .passthrough();
type UiNode = z.infer<typeof UiNode>;

/** links: `[id, originId, originSlot, targetId, targetSlot, type]` (schema 0.4) or objects (schema 1). */
const UiLink = z.union([
  z
    .tuple([
      z.number(),
      z.union([z.number(), z.string()]),
      z.number(),
      z.union([z.number(), z.string()]),
      z.number(),
    ])
    .rest(z.unknown()),
  z
    .object({
      id: z.number(),
      origin_id: z.union([z.number(), z.string()]),
      origin_slot: z.number(),
      target_id: z.union([z.number(), z.string()]),
      target_slot: z.number(),
    })
    .passthrough(),
]);

export const UiWorkflow = z
  .object({
    nodes: z.array(UiNode),
    links: z.array(UiLink).default([]),
    definitions: z
      .object({ subgraphs: z.array(z.unknown()) })
      .partial()
      .optional(),
  })
  .passthrough();
export type UiWorkflow = z.infer<typeof UiWorkflow>;

export type ApiPrompt = Record<
  string,
  { class_type: string; inputs: Record<string, unknown>; _meta?: { title: string } }
>;

type InputSpec = [unknown, Record<string, unknown>?] | [unknown];
export type ObjectInfo = Record<
  string,
  {
    input?: { required?: Record<string, InputSpec>; optional?: Record<string, InputSpec> };
    input_order?: { required?: string[]; optional?: string[] };
    display_name?: string;
  }
>;

export class WorkflowConversionError extends Error {
  override name = 'WorkflowConversionError';
}

const VIRTUAL = new Set(['Note', 'MarkdownNote', 'PrimitiveNode', 'Reroute']);
const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO']);
const MODE_MUTED = 2;
const MODE_BYPASS = 4;

export function isApiPrompt(value: unknown): value is ApiPrompt {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    Object.values(value).every(
      (node) =>
        typeof node === 'object' &&
        node !== null &&
        typeof (node as { class_type?: unknown }).class_type === 'string',
    )
  );
}

export function isUiWorkflow(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { nodes?: unknown }).nodes)
  );
}

function isWidget(spec: InputSpec | undefined): boolean {
  const type = spec?.[0];
  return Array.isArray(type) || (typeof type === 'string' && WIDGET_TYPES.has(type));
}

/** Input names in the order the frontend creates widgets (object_info input_order, else key order). */
function orderedInputs(info: ObjectInfo[string]): [string, InputSpec][] {
  const out: [string, InputSpec][] = [];
  for (const group of ['required', 'optional'] as const) {
    const specs = info.input?.[group] ?? {};
    const names = info.input_order?.[group] ?? Object.keys(specs);
    for (const name of names) if (specs[name]) out.push([name, specs[name]!]);
  }
  return out;
}

export function graphToPrompt(workflow: unknown, objectInfo: ObjectInfo): ApiPrompt {
  const parsed = UiWorkflow.safeParse(workflow);
  if (!parsed.success)
    throw new WorkflowConversionError(
      `not a UI-format workflow: ${parsed.error.issues[0]?.message ?? 'bad shape'}`,
    );
  const { nodes, links, definitions } = parsed.data;
  if (definitions?.subgraphs?.length)
    throw new WorkflowConversionError(
      'workflows with subgraphs cannot be converted here: export it with "Export (API)" in ComfyUI',
    );

  const byId = new Map(nodes.map((node) => [String(node.id), node]));
  const linkById = new Map(
    links.map((link) => {
      const [id, originId, originSlot] = Array.isArray(link)
        ? link
        : [link.id, link.origin_id, link.origin_slot];
      return [id as number, { originId: String(originId), originSlot: originSlot as number }];
    }),
  );

  /** The real producer behind a link: through Reroutes and bypassed nodes (first input of the same type). */
  const resolve = (linkId: number, seen = new Set<number>()): [string, number] | undefined => {
    const link = linkById.get(linkId);
    if (!link || seen.has(linkId)) return undefined;
    seen.add(linkId);
    const origin = byId.get(link.originId);
    if (!origin) return undefined;
    if (origin.mode === MODE_MUTED) return undefined;
    if (origin.type === 'Reroute' || origin.mode === MODE_BYPASS) {
      const wanted = origin.outputs?.[link.originSlot]?.type;
      const through =
        origin.type === 'Reroute'
          ? origin.inputs?.[0]
          : (origin.inputs?.find((input) => input.link != null && input.type === wanted) ??
            undefined);
      return through?.link != null ? resolve(through.link, seen) : undefined;
    }
    return [link.originId, link.originSlot];
  };

  const prompt: ApiPrompt = {};
  for (const node of nodes) {
    if (VIRTUAL.has(node.type) || node.mode === MODE_MUTED || node.mode === MODE_BYPASS) continue;
    const info = objectInfo[node.type];
    if (!info) {
      const hint = /^[0-9a-f-]{36}$/.test(node.type) ? ' (a subgraph or group node)' : '';
      throw new WorkflowConversionError(
        `node ${node.id} has type "${node.type}"${hint}, which this ComfyUI does not know`,
      );
    }
    const values = node.widgets_values;
    const named = values && !Array.isArray(values) ? values : undefined;
    const list = Array.isArray(values) ? [...values] : [];
    const inputs: Record<string, unknown> = {};
    for (const [name, spec] of orderedInputs(info)) {
      const slot = node.inputs?.find((input) => input.name === name || input.widget?.name === name);
      if (isWidget(spec)) {
        const value = named ? named[name] : list.shift();
        // The seed widgets carry a second value ("fixed", "randomize"…) that is not an input.
        const options = spec[1] ?? {};
        if (!named && (options.control_after_generate || options.control_before_generate))
          list.shift();
        const linked = slot?.link != null ? resolve(slot.link) : undefined;
        if (linked) inputs[name] = linked;
        else if (value !== undefined) inputs[name] = value;
      } else if (slot?.link != null) {
        const linked = resolve(slot.link);
        if (linked) inputs[name] = linked;
      }
    }
    prompt[String(node.id)] = {
      class_type: node.type,
      inputs,
      _meta: { title: node.title ?? info.display_name ?? node.type },
    };
  }
  // A link to a node that was dropped (muted) would fail on the server; drop it like the frontend does.
  for (const entry of Object.values(prompt))
    for (const [name, value] of Object.entries(entry.inputs))
      if (
        Array.isArray(value) &&
        value.length === 2 &&
        typeof value[0] === 'string' &&
        !prompt[value[0]]
      )
        delete entry.inputs[name];
  if (Object.keys(prompt).length === 0)
    throw new WorkflowConversionError('the workflow has no nodes to run');
  return prompt;
}
