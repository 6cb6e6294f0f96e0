/**
 * @fileoverview POST /prompt as ComfyUI 0.27's post_prompt: number/front counter (incremented for every
 * parsed body, even rejected ones), prompt_id check, validate_prompt, sensitive keys moved out, create_time,
 * then PromptQueue.put (which broadcasts status). Validation is protocol/src/comfy/validate.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  checkPromptRequest,
  comfyFlavor,
  defaultValidators,
  malformedJsonResponse,
  toHttpResponse,
  validatePrompt,
} from '../../../../protocol/src/comfy/validate';
import type { ReplicaContext } from '../../context';
import type { ApiPrompt, ExtraData } from '../../engine/types';
import { annotatedPath } from '../../nodes/image-nodes';
import { MalformedJson, type Ctx } from '../http-kit';
import { json, type Reply } from '../../../../kit/aiohttp-reply';
import { liveObjectInfo } from './models';

const SENSITIVE_EXTRA_DATA_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];

function refusal(r: Parameters<typeof toHttpResponse>[0]): Reply {
  const res = toHttpResponse(r);
  return { status: res.status, text: res.body, contentType: res.contentType };
}

export async function postPrompt(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  let body: unknown;
  try {
    body = await http.json();
  } catch (error) {
    if (error instanceof MalformedJson) return refusal(malformedJsonResponse());
    throw error;
  }
  const flavor = comfyFlavor(ctx.version);
  const checked = checkPromptRequest(body, { flavor });
  // ComfyUI computes `number` (and bumps its counter) before looking at the prompt.
  let number: number;
  const data = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (checked.ok || checked.status === 400) {
    if ('number' in data) number = Number(data.number);
    else {
      number = ctx.counter.number;
      if ('front' in data && data.front) number = -number;
      ctx.counter.number += 1;
    }
  } else return refusal(checked);
  if (!checked.ok) return refusal(checked);

  // 0.8 takes any prompt_id verbatim (str() of it); 0.25+ only accepts canonical UUIDs (checked above).
  const promptId =
    data.prompt_id !== undefined && data.prompt_id !== null ? String(data.prompt_id) : randomUUID();
  const partial = Array.isArray(data.partial_execution_targets)
    ? (data.partial_execution_targets as string[])
    : null;
  const fileExists = (name: string) => {
    const path = annotatedPath(name, ctx.dirs);
    return existsSync(path) && statSync(path).isFile();
  };
  const valid = validatePrompt(
    data.prompt as Record<string, unknown>,
    liveObjectInfo(ctx) as never,
    partial,
    {
      flavor,
      validators: defaultValidators(fileExists),
    },
  );
  if (!valid.ok) return refusal(valid);

  const extraData: ExtraData =
    typeof data.extra_data === 'object' && data.extra_data !== null
      ? { ...(data.extra_data as ExtraData) }
      : {};
  if ('client_id' in data) extraData.client_id = data.client_id as string;
  const usage = http.req.headers['comfy-usage-source'];
  if (typeof usage === 'string') extraData.comfy_usage_source = usage;
  const sensitive: Record<string, unknown> = {};
  for (const key of SENSITIVE_EXTRA_DATA_KEYS) {
    if (key in extraData) {
      sensitive[key] = extraData[key];
      delete extraData[key];
    }
  }
  extraData.create_time = Date.now();
  ctx.queue.put([number, promptId, valid.prompt as ApiPrompt, extraData, valid.outputs, sensitive]);
  ctx.log.debug({ promptId, number }, 'prompt queued');
  return json({ prompt_id: promptId, number, node_errors: valid.nodeErrors });
}
