/**
 * @fileoverview The instructor's workshop, on the wire: workshop workflow names and the UI-format
 * workflow shape a published file must have, the relay's workshop API bodies, the live notices the
 * relay sends every event socket (not stored, not replayed), and the `comfyume.*` messages the
 * sidecar turns them into for pages running our extension.
 *
 *   GET  /api/workshop/workflows            → WorkshopWorkflowList (any token)
 *   GET  /api/workshop/workflows/:name      → the workflow JSON (any token)
 *   PUT  /api/workshop/workflows/:name[?default=1]  body: the workflow (admin) → {workflow: info}
 *   POST /api/workshop/broadcast            BroadcastRequest (admin) → 202 {broadcast}
 */
import { z } from 'zod';
import { firstZodProblem } from '../zod-problems';

/** A workshop workflow's file name: one flat name ending in .json, no path characters or escapes. */
export const WorkflowName = z
  .string()
  .max(128, 'at most 128 characters')
  .regex(
    /^[\p{L}\p{N} _()[\]+,'&!-][\p{L}\p{N} _.()[\]+,'&!-]*\.json$/u,
    'a file name ending in .json, without path characters (/ \\ : % and a leading dot)',
  )
  .refine((name) => !name.includes('..'), 'must not contain ".."');
export type WorkflowName = z.infer<typeof WorkflowName>;

/** The folder of ComfyUI's user directory that the Workflows sidebar lists. */
export const WORKFLOWS_DIR = 'workflows';

const NodeId = z.union([z.number(), z.string().min(1)]);

/**
 * A workflow as the frontend saves it (litegraph's serialisation, schema 0.4 or 1): a node list of
 * `{id, type}` and links. An API-format prompt (`{"1": {class_type, inputs}}`) is refused: the
 * sidebar cannot open it.
 */
export const UiWorkflow = z
  .object({
    nodes: z.array(z.object({ id: NodeId, type: z.string().min(1) }).passthrough(), {
      required_error:
        'a UI-format workflow has a "nodes" list (use Save or Export, not Export (API))',
    }),
    links: z.array(z.unknown(), {
      required_error: 'a UI-format workflow has a "links" list',
    }),
    version: z.number().optional(),
  })
  .passthrough();
export type UiWorkflow = z.infer<typeof UiWorkflow>;

/** Why `value` (a parsed file or request body) is not a UI-format workflow, or undefined when it is one. */
export function workflowProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'a workflow is a JSON object with "nodes" and "links"';
  const parsed = UiWorkflow.safeParse(value);
  return parsed.success ? undefined : firstZodProblem(parsed.error);
}

/** One workshop workflow as listed. */
export const WorkshopWorkflowInfo = z.object({
  name: WorkflowName,
  size: z.number().int().nonnegative(),
  /** When it was last published or read from the folder (epoch ms). */
  modified: z.number(),
  /** Where it comes from: the operator's folder, or published live. */
  source: z.enum(['folder', 'published']),
});
export type WorkshopWorkflowInfo = z.infer<typeof WorkshopWorkflowInfo>;

export const WorkshopWorkflowList = z.object({
  workflows: z.array(WorkshopWorkflowInfo),
  /** The workflow opened on an attendee's first visit, when one is marked. */
  default: WorkflowName.optional(),
});
export type WorkshopWorkflowList = z.infer<typeof WorkshopWorkflowList>;

/** The longest broadcast line. */
export const BROADCAST_MAX_CHARS = 280;

export const BroadcastRequest = z.object({
  text: z
    .string()
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(1, 'the message is empty')
        .max(BROADCAST_MAX_CHARS, `at most ${BROADCAST_MAX_CHARS} characters`),
    ),
});

/** A live notice from the relay to every event socket (text frame; no id: never stored or replayed). */
export const WorkshopNotice = z.object({
  type: z.literal('workshop'),
  notice: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('workflow'),
      name: WorkflowName,
      isDefault: z.boolean(),
      at: z.number(),
    }),
    z.object({
      kind: z.literal('broadcast'),
      text: z.string().min(1).max(BROADCAST_MAX_CHARS),
      at: z.number(),
    }),
  ]),
});
export type WorkshopNotice = z.infer<typeof WorkshopNotice>;

/** What a page running our extension gets: a workflow was published (open it from the sidebar). */
export const ComfyumeWorkflowMessage = z.object({
  type: z.literal('comfyume.workflow'),
  data: z.object({ name: WorkflowName, isDefault: z.boolean(), at: z.number() }),
});
/** …and the operator's broadcast line (plain text: shown as text, never as markup). */
export const ComfyumeBroadcastMessage = z.object({
  type: z.literal('comfyume.broadcast'),
  data: z.object({ text: z.string().min(1).max(BROADCAST_MAX_CHARS), at: z.number() }),
});
export type ComfyumeWorkflowMessage = z.infer<typeof ComfyumeWorkflowMessage>;
export type ComfyumeBroadcastMessage = z.infer<typeof ComfyumeBroadcastMessage>;
