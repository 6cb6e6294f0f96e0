/**
 * @fileoverview `/api/jobs*` bodies, exactly as strict as ComfyUI_frontend ≥ 1.38.4 validates
 * them (`src/platform/remote/comfyui/jobs/jobTypes.ts`), plus the ≤ 1.38.3 queue/history shapes
 * (`zTaskPrompt`, `zStatus`, `zTaskOutput` of `src/schemas/apiSchema.ts` @00141c4).
 *
 * The frontend parses the whole list at once: one job that fails here empties the queue and
 * history panels. Check every record we serve with these schemas.
 */
import { z } from 'zod';

// ── Frontend-strict jobs API (mirrors jobTypes.ts) ──────────────────────────────────────────────

/** `resultItemType` of the frontend. */
const resultItemType = z.enum(['input', 'output', 'temp']);

/** Frontend `zNodeId`: an int or a string. */
const feNodeId = z.union([z.number().int(), z.string()]);

const feResultItem = z.object({
  filename: z.string().optional(),
  subfolder: z.string().optional(),
  type: resultItemType.optional(),
});

/** Frontend `zOutputs`: one node's UI output. */
export const ComfyFeNodeOutput = z
  .object({
    audio: z.array(feResultItem).optional(),
    images: z.array(feResultItem).optional(),
    video: z.array(feResultItem).optional(),
    animated: z.array(z.boolean()).optional(),
    text: z.union([z.string(), z.array(z.string())]).optional(),
  })
  .passthrough();

/** Frontend `zTaskOutput`: node id → UI output. */
export const ComfyFeTaskOutput = z.record(feNodeId, ComfyFeNodeOutput);

export const ComfyJobStatus = z.enum([
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
]);
export type ComfyJobStatus = z.infer<typeof ComfyJobStatus>;

export const ComfyJobPreviewOutput = z
  .object({
    filename: z.string().optional(),
    subfolder: z.string().optional(),
    type: resultItemType.optional(),
    nodeId: z.string(),
    mediaType: z.string(),
    display_name: z.string().optional(),
  })
  .passthrough();
export type ComfyJobPreviewOutput = z.infer<typeof ComfyJobPreviewOutput>;

/** `node_id` must be a string: use `""` for job-level failures. */
export const ComfyJobExecutionError = z
  .object({
    prompt_id: z.string().optional(),
    timestamp: z.number().optional(),
    node_id: z.string(),
    node_type: z.string(),
    executed: z.array(z.string()).optional(),
    exception_message: z.string(),
    exception_type: z.string(),
    traceback: z.array(z.string()),
    current_inputs: z.unknown(),
    current_outputs: z.unknown(),
  })
  .passthrough();
export type ComfyJobExecutionError = z.infer<typeof ComfyJobExecutionError>;

/** A list item (`zRawJobListItem`): `create_time` is required. */
export const ComfyJob = z
  .object({
    id: z.string(),
    status: ComfyJobStatus,
    create_time: z.number(),
    execution_start_time: z.number().nullable().optional(),
    execution_end_time: z.number().nullable().optional(),
    preview_output: ComfyJobPreviewOutput.nullable().optional(),
    outputs_count: z.number().nullable().optional(),
    execution_error: ComfyJobExecutionError.nullable().optional(),
    workflow_id: z.string().nullable().optional(),
    priority: z.number().optional(),
  })
  .passthrough();
export type ComfyJob = z.infer<typeof ComfyJob>;

/** GET /api/jobs/{id} (`zJobDetail`). */
export const ComfyJobDetail = ComfyJob.extend({
  workflow: z.unknown().optional(),
  outputs: ComfyFeTaskOutput.optional(),
  update_time: z.number().optional(),
  execution_status: z.unknown().optional(),
  execution_meta: z.unknown().optional(),
}).passthrough();
export type ComfyJobDetail = z.infer<typeof ComfyJobDetail>;

/** `limit` must be a number here, although ComfyUI itself sends `null` when none was asked. */
export const ComfyJobsPagination = z.object({
  offset: z.number(),
  limit: z.number(),
  total: z.number(),
  has_more: z.boolean(),
});
export type ComfyJobsPagination = z.infer<typeof ComfyJobsPagination>;

/** GET /api/jobs as the frontend accepts it (`zJobsListResponse`). */
export const ComfyJobsListResponse = z.object({
  jobs: z.array(ComfyJob),
  pagination: ComfyJobsPagination,
});
export type ComfyJobsListResponse = z.infer<typeof ComfyJobsListResponse>;

/** `workflow` of a job detail (`zWorkflowContainer`). */
export const ComfyJobWorkflow = z.object({
  prompt: z.unknown(),
  extra_data: z
    .object({ extra_pnginfo: z.object({ workflow: z.unknown() }).optional() })
    .optional(),
});

// ── What ComfyUI itself answers (looser where it is looser than the frontend) ───────────────────

/** ComfyUI's pagination: `limit` is `null` when the request had none (the frontend always sends one). */
export const ComfyJobsPaginationLoose = ComfyJobsPagination.extend({
  limit: z.number().nullable(),
});
export type ComfyJobsPaginationLoose = z.infer<typeof ComfyJobsPaginationLoose>;

export const ComfyJobsListResponseLoose = z.object({
  jobs: z.array(ComfyJob),
  pagination: ComfyJobsPaginationLoose,
});
export type ComfyJobsListResponseLoose = z.infer<typeof ComfyJobsListResponseLoose>;

/** 400/404 of the jobs routes: `{"error": "..."}` (+ `invalid_ids` for the batch cancel). */
export const ComfyJobsErrorBody = z
  .object({ error: z.string(), invalid_ids: z.array(z.string()).optional() })
  .strict();
export type ComfyJobsErrorBody = z.infer<typeof ComfyJobsErrorBody>;

/** POST /api/jobs/{id}/cancel and POST /api/jobs/cancel. */
export const ComfyJobsCancelResponse = z.object({ cancelled: z.boolean() }).strict();
export const ComfyJobsCancelRequest = z.object({ job_ids: z.array(z.string()) }).passthrough();

// ── Frontend ≤ 1.38.3: /queue and /history (apiSchema.ts zTaskPrompt / zStatus / zTaskMeta) ────

const feExecutionBase = { prompt_id: z.string(), timestamp: z.number().int() };
const feFailure = {
  ...feExecutionBase,
  node_id: feNodeId,
  node_type: z.string(),
  executed: z.array(feNodeId),
};

const feStatusMessage = z.union([
  z.tuple([z.literal('execution_start'), z.object(feExecutionBase)]),
  z.tuple([z.literal('execution_success'), z.object(feExecutionBase)]),
  z.tuple([
    z.literal('execution_cached'),
    z.object({ ...feExecutionBase, nodes: z.array(feNodeId) }),
  ]),
  z.tuple([z.literal('execution_interrupted'), z.object(feFailure)]),
  z.tuple([
    z.literal('execution_error'),
    z.object({
      ...feFailure,
      exception_message: z.string(),
      exception_type: z.string(),
      traceback: z.array(z.string()),
      current_inputs: z.any(),
      current_outputs: z.any(),
    }),
  ]),
]);

/** `zStatus`. */
export const ComfyFeHistoryStatus = z.object({
  status_str: z.enum(['success', 'error']),
  completed: z.boolean(),
  messages: z.array(feStatusMessage),
});

/**
 * `zExtraData`. The frontend checks `extra_pnginfo.workflow` against its full workflow schema;
 * here it only has to be an object.
 */
export const ComfyFeExtraData = z
  .object({
    extra_pnginfo: z
      .object({ workflow: z.record(z.string(), z.unknown()) })
      .passthrough()
      .optional(),
    client_id: z.string().optional(),
    create_time: z.number().int().optional(),
  })
  .passthrough();

/** `zTaskPrompt`: the 5-tuple of /queue items and history `prompt`. */
export const ComfyFeTaskPrompt = z.tuple([
  z.number(),
  z.string(),
  z.record(z.object({ inputs: z.record(z.string(), z.any()), class_type: z.string() })),
  ComfyFeExtraData,
  z.array(feNodeId),
]);

/** `zTaskMeta`. */
export const ComfyFeTaskMeta = z.record(
  feNodeId,
  z.object({
    node_id: feNodeId,
    display_node: feNodeId,
    prompt_id: z.string().optional(),
    read_node_id: feNodeId.optional(),
  }),
);

/** One value of GET /history as the old frontend reads it (`zHistoryTaskItem` minus taskType). */
export const ComfyFeHistoryItem = z.object({
  prompt: ComfyFeTaskPrompt,
  status: ComfyFeHistoryStatus.optional(),
  outputs: ComfyFeTaskOutput,
  meta: ComfyFeTaskMeta.optional(),
});

export const ComfyFeHistoryResponse = z.record(z.string(), ComfyFeHistoryItem);

/** GET /queue as the old frontend reads it. */
export const ComfyFeQueueResponse = z.object({
  queue_running: z.array(ComfyFeTaskPrompt),
  queue_pending: z.array(ComfyFeTaskPrompt),
});
