/**
 * @fileoverview `POST /prompt` and `/api/prompt`: ComfyUI's own checks, then the job goes to the
 * relay instead of the local queue. Read as a list of passes:
 *   body (limit, JSON) → checkPromptRequest → validate against the GPU's node set (with the
 *   attendee's input files) → upload inputs → number → submit to the relay → enqueue `status`
 *   → `{prompt_id, number, node_errors}` with prompt_id = the relay job id.
 * Every refusal has ComfyUI's error shape, so the stock UI marks bad nodes or shows the message.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { existsSync } from 'node:fs';
import type { ComfyNodeDef, NodeError } from '../../../protocol/src/comfy/http';
import { pyJsonDumps, pyNumber } from '../../../protocol/src/comfy/py-format';
import { isDict, pyFloat, PyError, pyTruthy } from '../../../protocol/src/comfy/py-values';
import {
  checkPromptRequest,
  defaultValidators,
  malformedJsonResponse,
  toHttpResponse,
  validatePrompt,
  type PromptRejection,
  type ServerCrash,
} from '../../../protocol/src/comfy/validate';
import type { JobInput } from '../../../protocol/src/relay/api';
import type { JobView } from '../../../protocol/src/relay/job';
import { readJsonBody } from '../http/body';
import { promptFailure, type Reply } from '../http/reply';
import type { Logger } from '../logger';
import { confinedPath } from '../outputs/naming';
import type { ObjectInfoCache } from '../relay/object-info-cache';
import type { RelayClient } from '../relay/relay-client';
import type { StateStore } from '../state/state-store';
import { findInputFiles, inputFilePath, stripAnnotation, withLocalInputs, type InputRef } from './input-files';

export type PromptRouteDeps = {
  relay: RelayClient;
  objectInfo: ObjectInfoCache;
  uploadInputs: (refs: readonly InputRef[]) => Promise<JobInput[]>;
  state: StateStore;
  submitted: (job: JobView) => Promise<void>;
  dirs: { input: string; output: string; temp: string };
  maxBodyBytes: number;
  logger: Logger;
};

/** Keys moved out of extra_data by ComfyUI (the "sensitive" 6th tuple element): never forwarded. */
const SENSITIVE = ['auth_token_comfy_org', 'api_key_comfy_org'];

const rejection = (r: PromptRejection | ServerCrash): Reply => {
  const http = toHttpResponse(r);
  return { status: http.status, raw: http.body, contentType: http.contentType };
};

/** ComfyUI's `number`: float(body.number) when given, else the counter (negated for front). */
export function queueNumber(body: Record<string, unknown>, next: () => number): { number: number; asFloat: boolean } {
  if ('number' in body) return { number: pyFloat(body.number), asFloat: true };
  const n = next();
  return { number: 'front' in body && pyTruthy(body.front) && n !== 0 ? -n : n, asFloat: false };
}

/** The 200 body, byte-for-byte as aiohttp would send it (a given number echoes as a float). */
export function acceptedBody(promptId: string, number: { number: number; asFloat: boolean }, nodeErrors: Record<string, NodeError>): string {
  return `{"prompt_id": ${pyJsonDumps(promptId)}, "number": ${pyNumber(number.number, number.asFloat)}, "node_errors": ${pyJsonDumps(nodeErrors)}}`;
}

export function createPromptRoute(deps: PromptRouteDeps) {
  const { dirs, logger } = deps;

  /** VALIDATE_INPUTS of LoadImage & co, answered from the attendee's folders as their ComfyUI would. */
  const localFileExists = (annotated: string) => {
    const { name, folder } = stripAnnotation(annotated);
    if (folder === 'input') return inputFilePath(dirs.input, name) !== undefined;
    const base = folder === 'output' ? dirs.output : dirs.temp;
    const slash = name.lastIndexOf('/');
    const path = confinedPath(base, slash < 0 ? '' : name.slice(0, slash), name.slice(slash + 1));
    return path !== undefined && existsSync(path);
  };
  const validators = defaultValidators(localFileExists);

  const validate = (prompt: Record<string, unknown>, info: Record<string, ComfyNodeDef>, partial: string[] | null) => {
    const refs = findInputFiles(prompt, info, dirs.input);
    return { refs, result: validatePrompt(prompt, withLocalInputs(info, refs), partial, { validators }) };
  };

  return async function postPrompt(req: IncomingMessage): Promise<Reply> {
    const read = await readJsonBody(req, deps.maxBodyBytes);
    if (!read.ok) return read.reply;
    const checked = checkPromptRequest(read.body);
    if (!checked.ok) return rejection(checked);
    const body = checked.request as Record<string, unknown>;
    try {
      const partial = Array.isArray(body.partial_execution_targets) ? body.partial_execution_targets.map(String) : null;
      const prompt = isDict(body.prompt) ? body.prompt : {};
      let { refs, result } = validate(prompt, await deps.objectInfo.get(), partial);
      if (!result.ok && result.status === 400 && result.body.error.type === 'missing_node_type') {
        // The GPU may have gained nodes since the cached copy: look again once before refusing.
        ({ refs, result } = validate(prompt, await deps.objectInfo.get({ maxAgeMs: 10_000 }), partial));
      }
      if (!result.ok) return rejection(result);
      if (!isDict(body.prompt)) return rejection(malformedJsonResponse());

      const inputs = await deps.uploadInputs(refs);
      const number = queueNumber(body, deps.state.nextNumber);
      const jobId = typeof body.prompt_id === 'string' ? body.prompt_id : randomUUID();
      const extraData = Object.fromEntries(
        Object.entries(isDict(body.extra_data) ? body.extra_data : {}).filter(([key]) => !SENSITIVE.includes(key)),
      );
      const usage = req.headers['comfy-usage-source'];
      if (typeof usage === 'string') extraData.comfy_usage_source = usage;
      const job = await deps.relay.submitJob({
        jobId,
        clientId: typeof body.client_id === 'string' ? body.client_id : '',
        prompt: result.prompt,
        extraData,
        outputsToExecute: result.outputs,
        number: number.number,
        front: 'front' in body ? pyTruthy(body.front) : undefined,
        inputs,
      });
      await deps.submitted(job);
      logger.info({ jobId, number: number.number, inputs: inputs.length }, 'prompt queued on the relay');
      return { status: 200, raw: acceptedBody(job.id, number, result.nodeErrors), contentType: 'application/json; charset=utf-8' };
    } catch (error) {
      if (error instanceof PyError) return rejection(malformedJsonResponse());
      logger.warn({ err: error instanceof Error ? error.message : error }, 'prompt not queued');
      return promptFailure(error);
    }
  };
}
