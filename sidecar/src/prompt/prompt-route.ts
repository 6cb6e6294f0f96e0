/**
 * @fileoverview `POST /prompt` and `/api/prompt`: ComfyUI's own checks, then the job goes to the
 * relay instead of the local queue. Read as a list of passes:
 *   body (limit, JSON) → checkPromptRequest (as the attendee's ComfyUI version checks it) → validate
 *   against the GPU's node set (with the attendee's input files) → upload inputs → number
 *   (continuing the local ComfyUI's) → a save prefix ComfyUI would fail on, or a rerun ComfyUI's
 *   cache would answer → submit to the relay → enqueue `status` → `{prompt_id, number, node_errors}`.
 * Every refusal has ComfyUI's error shape, so the stock UI marks bad nodes or shows the message.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ComfyNodeDef, NodeError } from '../../../protocol/src/comfy/http';
import { pyJsonDumps, pyNumber, pyStr } from '../../../protocol/src/comfy/py-format';
import { isDict, pyFloat, PyError, pyTruthy } from '../../../protocol/src/comfy/py-values';
import {
  checkPromptRequest,
  defaultValidators,
  malformedJsonResponse,
  toHttpResponse,
  validatePrompt,
  type ComfyFlavor,
  type PromptRejection,
  type ServerCrash,
  type ValidatePromptResult,
} from '../../../protocol/src/comfy/validate';
import type { JobInput, SubmitFailure } from '../../../protocol/src/relay/api';
import type { JobView } from '../../../protocol/src/relay/job';
import { confinedFile } from '../../../kit/output-files/confine';
import { readJsonBody } from '../http/body';
import { promptFailure } from '../http/reply';
import { type Reply } from '../../../kit/aiohttp-reply';
import type { NodeSet } from '../comfy/node-set';
import type { Logger } from '../logger';
import type { RelayClient } from '../relay/relay-client';
import { withoutInert, withoutLocalOnly } from '../shapes/node-set';
import type { QueueNumbers } from '../state/queue-numbers';
import { withPromptChoices } from './gpu-choices';
import {
  findInputFiles,
  inputFilePath,
  stripAnnotation,
  withLocalInputs,
  type InputRef,
} from './input-files';
import { onlyKnownNodes, runKey, type RerunCache } from './rerun-cache';
import { predictSaveEscape } from './save-escape';

export type PromptRouteDeps = {
  relay: RelayClient;
  /** The GPU's node set (merged with the attendee's inert local-only nodes). */
  nodes: NodeSet;
  uploadInputs: (refs: readonly InputRef[]) => Promise<JobInput[]>;
  numbers: QueueNumbers;
  rerun: RerunCache;
  /** The attendee's ComfyUI generation, whose answers we give. */
  flavor: () => Promise<ComfyFlavor>;
  submitted: (job: JobView) => Promise<void>;
  dirs: { input: string; output: string; temp: string };
  maxBodyBytes: number;
  logger: Logger;
};

/** Keys moved out of extra_data by ComfyUI (the "sensitive" 6th tuple element): never forwarded. */
const SENSITIVE = ['auth_token_comfy_org', 'api_key_comfy_org'];

const rejection = (r: PromptRejection | ServerCrash): Reply => {
  const http = toHttpResponse(r);
  return { status: http.status, text: http.body, contentType: http.contentType };
};

/**
 * ComfyUI's `number`: float(body.number) when given, else the counter (negated for front). A given
 * number is echoed as ComfyUI echoes it, but the job keeps a counter value: a forged number must not
 * hide this job or later ones from the frontend's history reconciliation, nor collide with another.
 */
export function queueNumber(
  body: Record<string, unknown>,
  next: () => number,
): { number: number; asFloat: boolean; stored: number } {
  if ('number' in body) return { number: pyFloat(body.number), asFloat: true, stored: next() };
  const n = next();
  const number = 'front' in body && pyTruthy(body.front) && n !== 0 ? -n : n;
  return { number, asFloat: false, stored: number };
}

/**
 * Refusals the GPU may no longer give: a node class it lacked (both generations' wording) or a value
 * not in one of its lists (a model added since the copy). Worth one fresh look before refusing.
 */
const mayBeStale = (r: ValidatePromptResult) =>
  !r.ok &&
  r.status === 400 &&
  (r.body.error.type === 'missing_node_type' ||
    r.body.error.message.startsWith('Cannot execute because node ') ||
    Object.values(r.body.node_errors).some((e) =>
      e.errors.some((x) => x.type === 'value_not_in_list'),
    ));

/** The 200 body, byte-for-byte as aiohttp would send it (a given number echoes as a float). */
export function acceptedBody(
  promptId: string,
  number: { number: number; asFloat: boolean },
  nodeErrors: Record<string, NodeError>,
): string {
  return `{"prompt_id": ${pyJsonDumps(promptId)}, "number": ${pyNumber(number.number, number.asFloat)}, "node_errors": ${pyJsonDumps(nodeErrors)}}`;
}

export function createPromptRoute(deps: PromptRouteDeps) {
  const { dirs, logger } = deps;

  /** VALIDATE_INPUTS of LoadImage & co, answered from the attendee's folders as their ComfyUI would. */
  const localFileExists = (annotated: string) => {
    const { name, folder } = stripAnnotation(annotated);
    if (folder === 'input') return inputFilePath(dirs.input, name) !== undefined;
    // A symlink out of the folder counts as no file, as for inputs (kit/output-files/confine.ts confinedFile).
    return (
      confinedFile(folder === 'output' ? dirs.output : dirs.temp, name, { anyEntry: true }) !==
      undefined
    );
  };
  const validators = defaultValidators(localFileExists);

  const validate = (
    prompt: Record<string, unknown>,
    info: Record<string, ComfyNodeDef>,
    partial: string[] | null,
    flavor: ComfyFlavor,
  ) => {
    const refs = findInputFiles(prompt, info, dirs.input);
    return {
      refs,
      info,
      result: validatePrompt(prompt, withLocalInputs(info, refs), partial, { validators, flavor }),
    };
  };

  /** A failure ComfyUI would have before any GPU work, or the earlier job ComfyUI's cache would answer from. */
  const outcome = async (
    prompt: Record<string, unknown>,
    outputs: string[],
    inputs: JobInput[],
    info: Record<string, ComfyNodeDef>,
    extraData: Record<string, unknown>,
    flavor: ComfyFlavor,
  ) => {
    const failure: SubmitFailure | undefined = predictSaveEscape({
      prompt,
      outputs,
      objectInfo: info,
      extraData,
      outputDir: dirs.output,
      flavor,
    });
    const key = runKey({ prompt, outputs, inputs });
    const cachedFrom =
      failure || !onlyKnownNodes(prompt, info) ? undefined : await deps.rerun.find(key);
    return { failure, cachedFrom, key };
  };

  return async function postPrompt(req: IncomingMessage): Promise<Reply> {
    const read = await readJsonBody(req, deps.maxBodyBytes);
    if (!read.ok) return read.reply;
    const flavor = await deps.flavor();
    const checked = checkPromptRequest(read.body, { flavor });
    if (!checked.ok) return rejection(checked);
    const body = checked.request as Record<string, unknown>;
    try {
      const numbersSynced = deps.numbers.syncLocal();
      const partial = Array.isArray(body.partial_execution_targets)
        ? body.partial_execution_targets.map(String)
        : null;
      const prompt = isDict(body.prompt) ? body.prompt : {};
      // Never waits for a GPU: with no copy of its node set yet, the attendee's own ComfyUI's is used
      // (its model lists widened: those are the GPU's to check) and the GPU checks the prompt again
      // when the job reaches it (a cold GPU may take minutes).
      let nodes = await deps.nodes.get({ wait: false });
      const checkedSet = () => (nodes.gpu ? nodes.merged : withPromptChoices(nodes.merged, prompt));
      let { refs, info, result } = validate(prompt, checkedSet(), partial, flavor);
      if (mayBeStale(result)) {
        // The GPU may have gained nodes since the cached copy, or there is no copy yet and the GPU may
        // be warm (a node only it has): one look, bounded, before refusing. Only refusals wait.
        nodes = await deps.nodes.get(nodes.gpu ? { fresh: true } : {});
        ({ refs, info, result } = validate(prompt, checkedSet(), partial, flavor));
      }
      if (!result.ok) return rejection(result);
      if (!isDict(body.prompt)) return rejection(malformedJsonResponse());
      // Nodes that never run are left out (the GPU may lack them); without the GPU's set, all of them.
      const runnable = nodes.gpu
        ? withoutLocalOnly(result.prompt, nodes.gpu)
        : withoutInert(result.prompt, nodes.merged);

      const inputs = await deps.uploadInputs(refs);
      await numbersSynced;
      const number = queueNumber(body, deps.numbers.next);
      const jobId = randomUUID();
      // A client-chosen prompt_id is the job's name for this user only (relay-client maps it).
      const promptId =
        'prompt_id' in body && body.prompt_id !== null && body.prompt_id !== undefined
          ? pyStr(body.prompt_id)
          : undefined;
      const extraData = Object.fromEntries(
        Object.entries(isDict(body.extra_data) ? body.extra_data : {}).filter(
          ([key]) => !SENSITIVE.includes(key),
        ),
      );
      const usage = req.headers['comfy-usage-source'];
      if (typeof usage === 'string') extraData.comfy_usage_source = usage;
      const { failure, cachedFrom, key } = await outcome(
        runnable,
        result.outputs,
        inputs,
        info,
        extraData,
        flavor,
      );
      if (cachedFrom) deps.rerun.adopt(promptId ?? jobId, cachedFrom);
      const job = await deps.relay.submitJob({
        jobId,
        promptId,
        clientId: typeof body.client_id === 'string' ? body.client_id : '',
        prompt: runnable,
        extraData,
        outputsToExecute: result.outputs,
        number: number.stored,
        front: 'front' in body ? pyTruthy(body.front) : undefined,
        inputs,
        cachedFrom: cachedFrom?.id,
        failure,
      });
      deps.rerun.ran(job.id, key);
      // The relay answers without the prompt; it stored the one sent, which the queue and history need.
      await deps.submitted({ ...job, prompt: runnable, extraData });
      const how = failure
        ? 'failed as ComfyUI would (never sent to a GPU)'
        : job.state === 'done'
          ? 'answered from the previous run (ComfyUI cache)'
          : 'queued on the relay';
      logger.info({ jobId: job.id, number: number.stored, inputs: inputs.length }, `prompt ${how}`);
      return {
        status: 200,
        text: acceptedBody(job.id, number, result.nodeErrors),
        contentType: 'application/json; charset=utf-8',
      };
    } catch (error) {
      if (error instanceof PyError) return rejection(malformedJsonResponse());
      logger.warn({ err: error instanceof Error ? error.message : error }, 'prompt not queued');
      return promptFailure(error);
    }
  };
}
