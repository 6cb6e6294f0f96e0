/**
 * @fileoverview ComfyUI's `POST /prompt` checks as pure functions (server.py `post_prompt`,
 * execution.py `validate_prompt`), producing the error bodies real ComfyUI produces: compare
 * with the recorded prompt_errors of real-0.8.0 and real-0.27.0. Default flavour is 0.27; `flavor: '0.8'` gives the
 * older missing-node texts and no prompt_id check.
 *
 * Where ComfyUI's handler would raise (a non-object prompt, a non-numeric `number`, ...) aiohttp
 * answers 500 with a fixed text; those cases come back as `ServerCrash`.
 */
import type { ComfyNodeDef, ComfyPostPromptRequest, NodeError, PromptErrorBody } from './http';
import { pyJsonDumps, pyStr } from './py-format';
import { isDict, pyFloat, PyError } from './py-values';
import { type Validated, type ValidationContext, validateInputs } from './validate-inputs';
import { type CustomValidator, defaultValidators } from './validators';

export type { CustomValidator, FileExists } from './validators';
export { comboListFileExists, defaultValidators, loadImageValidator } from './validators';

export type ComfyFlavor = '0.27' | '0.8';

/**
 * Which recorded generation a ComfyUI version answers like: releases before 0.9 (the 0.8 line:
 * `invalid_prompt` "Cannot execute because node X does not exist.", a jobs API without
 * `cancelled`, prompt_id accepted verbatim) as 0.8; every later one as 0.27. An unknown or
 * unreadable version answers as the newest.
 */
export function comfyFlavor(version: string | undefined): ComfyFlavor {
  const match = /^v?(\d+)\.(\d+)/.exec(version?.trim() ?? '');
  if (!match) return '0.27';
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major === 0 && minor < 9 ? '0.8' : '0.27';
}

export interface ServerCrash {
  ok: false;
  status: 500;
  contentType: 'text/plain; charset=utf-8';
  body: string;
}

export interface PromptRejection {
  ok: false;
  status: 400;
  body: PromptErrorBody;
}

/** aiohttp's answer when a handler raises, e.g. on a body that is not JSON (malformed_json.json). */
export function malformedJsonResponse(): ServerCrash {
  return {
    ok: false,
    status: 500,
    contentType: 'text/plain; charset=utf-8',
    body: '500 Internal Server Error\n\nServer got itself in trouble',
  };
}

/** Status, content type and exact body bytes (Python json.dumps) for any refusal. */
export function toHttpResponse(r: PromptRejection | ServerCrash): {
  status: number;
  contentType: string;
  body: string;
} {
  if (r.status === 500) return { status: 500, contentType: r.contentType, body: r.body };
  return { status: 400, contentType: 'application/json; charset=utf-8', body: pyJsonDumps(r.body) };
}

const reject = (
  type: string,
  message: string,
  details: string,
  extra_info: Record<string, unknown> = {},
): PromptRejection => ({
  ok: false,
  status: 400,
  body: { error: { type, message, details, extra_info }, node_errors: {} },
});

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Python's `key in json_data` for whatever JSON the body was. */
function pyContains(container: unknown, key: string): boolean {
  if (isDict(container)) return Object.prototype.hasOwnProperty.call(container, key);
  if (Array.isArray(container)) return container.includes(key);
  if (typeof container === 'string') return container.includes(key);
  throw new PyError('TypeError', 'argument is not iterable');
}

export type CheckPromptResult =
  | { ok: true; request: ComfyPostPromptRequest & { prompt: unknown } }
  | PromptRejection
  | ServerCrash;

/** The body-level checks of `post_prompt` (before validation), in ComfyUI's order. */
export function checkPromptRequest(
  body: unknown,
  opts: { flavor?: ComfyFlavor } = {},
): CheckPromptResult {
  try {
    // `number` is read first (and must convert with float()) even when `prompt` is missing.
    if (pyContains(body, 'number')) {
      if (!isDict(body)) throw new PyError('TypeError', 'indices must be integers');
      pyFloat(body['number']);
    }
    if (!pyContains(body, 'prompt'))
      return reject('no_prompt', 'No prompt provided', 'No prompt provided');
    if (!isDict(body)) throw new PyError('TypeError', 'indices must be integers');
    const promptId = body['prompt_id'];
    if ((opts.flavor ?? '0.27') === '0.27' && promptId !== undefined && promptId !== null) {
      if (typeof promptId !== 'string' || !CANONICAL_UUID.test(promptId)) {
        return reject(
          'invalid_prompt_id',
          'prompt_id must be a valid UUID',
          'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one',
        );
      }
    }
    return { ok: true, request: body as ComfyPostPromptRequest & { prompt: unknown } };
  } catch (ex) {
    if (ex instanceof PyError) return malformedJsonResponse();
    throw ex;
  }
}

export interface ValidateOptions {
  flavor?: ComfyFlavor;
  /** Node classes with a `VALIDATE_INPUTS`; defaults to `defaultValidators()` (LoadImage & co). */
  validators?: Record<string, CustomValidator>;
}

export type ValidatePromptResult =
  | {
      ok: true;
      /** Output node ids to execute (prompt order; ComfyUI's own order is a Python set's). */
      outputs: string[];
      /** Non-empty on partial success: ComfyUI answers 200 and runs only `outputs`. */
      nodeErrors: Record<string, NodeError>;
      /** The prompt as ComfyUI queues it: `__value__` unwrapped, INT/FLOAT/STRING/BOOLEAN converted. */
      prompt: Record<string, Record<string, unknown>>;
    }
  | PromptRejection
  | ServerCrash;

/** Port of `validate_prompt(prompt_id, prompt, partial_execution_targets)`. */
export function validatePrompt(
  prompt: Record<string, unknown>,
  objectInfo: Record<string, NodeDef>,
  partialExecutionTargets?: string[] | null,
  opts: ValidateOptions = {},
): ValidatePromptResult {
  try {
    return validate(prompt, objectInfo, partialExecutionTargets ?? null, opts);
  } catch (ex) {
    if (ex instanceof PyError) return malformedJsonResponse();
    throw ex;
  }
}

type NodeDef = ComfyNodeDef;

function validate(
  rawPrompt: unknown,
  objectInfo: Record<string, NodeDef>,
  partial: string[] | null,
  opts: ValidateOptions,
): ValidatePromptResult {
  const flavor = opts.flavor ?? '0.27';
  if (!isDict(rawPrompt)) {
    // Iterating an empty list/str finds no outputs; anything else raises in ComfyUI.
    const empty =
      (Array.isArray(rawPrompt) || typeof rawPrompt === 'string') && rawPrompt.length === 0;
    if (empty) return reject('prompt_no_outputs', 'Prompt has no outputs', '');
    throw new PyError('TypeError', 'prompt is not a dict');
  }
  const prompt = structuredClone(rawPrompt) as Record<string, Record<string, unknown>>;
  const outputs: string[] = [];
  for (const [x, node] of Object.entries(prompt)) {
    if (!isDict(node)) throw new PyError('TypeError', 'node is not a dict');
    if (!Object.prototype.hasOwnProperty.call(node, 'class_type')) {
      if (flavor === '0.8') {
        return reject(
          'invalid_prompt',
          'Cannot execute because a node is missing the class_type property.',
          `Node ID '#${x}'`,
        );
      }
      const title = metaTitle(node);
      const label = title.present && title.value ? pyStr(title.value) : `ID #${x}`;
      return reject(
        'missing_node_type',
        `Node '${label}' has no class_type. The workflow may be corrupted or a custom node is missing.`,
        `Node ID '#${x}'`,
        { node_id: x, class_type: null, node_title: title.present ? title.value : null },
      );
    }
    const classType = node['class_type'];
    if (Array.isArray(classType) || isDict(classType))
      throw new PyError('TypeError', 'unhashable type');
    const def =
      typeof classType === 'string' && Object.prototype.hasOwnProperty.call(objectInfo, classType)
        ? objectInfo[classType]
        : undefined;
    if (!def) {
      if (flavor === '0.8') {
        return reject(
          'invalid_prompt',
          `Cannot execute because node ${pyStr(classType)} does not exist.`,
          `Node ID '#${x}'`,
        );
      }
      const title = metaTitle(node);
      const nodeTitle = title.present ? title.value : classType;
      return reject(
        'missing_node_type',
        `Node '${pyStr(nodeTitle)}' not found. The custom node may not be installed.`,
        `Node ID '#${x}'`,
        {
          node_id: x,
          class_type: classType,
          node_title: nodeTitle,
        },
      );
    }
    if (def.output_node === true && (partial === null || partial.includes(x))) outputs.push(x);
  }
  if (outputs.length === 0) return reject('prompt_no_outputs', 'Prompt has no outputs', '');

  const ctx: ValidationContext = {
    prompt,
    objectInfo,
    validators: opts.validators ?? defaultValidators(),
    validated: new Map<string, Validated>(),
  };
  const good: string[] = [];
  const failures: [string, Validated[1]][] = [];
  const nodeErrors: Record<string, NodeError> = {};
  for (const o of outputs) {
    let valid: boolean;
    let reasons: Validated[1];
    try {
      [valid, reasons] = validateInputs(ctx, o);
    } catch (ex) {
      if (!(ex instanceof PyError)) throw ex;
      valid = false;
      reasons = [
        {
          type: 'exception_during_validation',
          message: 'Exception when validating node',
          details: ex.pyMessage,
          extra_info: { exception_type: ex.pyType, traceback: [] },
        },
      ];
      ctx.validated.set(o, [false, reasons, o]);
    }
    if (valid) {
      good.push(o);
      continue;
    }
    failures.push([o, reasons]);
    // As ComfyUI does: every failing node seen so far lists this output as dependent.
    for (const [nodeId, [ok, nodeReasons]] of ctx.validated) {
      if (ok || nodeReasons.length === 0) continue;
      nodeErrors[nodeId] ??= {
        errors: nodeReasons,
        dependent_outputs: [],
        class_type: prompt[nodeId]?.['class_type'] as string,
      };
      nodeErrors[nodeId].dependent_outputs.push(o);
    }
  }

  if (good.length === 0) {
    const details = failures
      .flatMap(([, errs]) => errs.map((e) => `${e.message}: ${e.details}`))
      .join('\n');
    return {
      ok: false,
      status: 400,
      body: {
        error: {
          type: 'prompt_outputs_failed_validation',
          message: 'Prompt outputs failed validation',
          details,
          extra_info: {},
        },
        node_errors: nodeErrors,
      },
    };
  }
  return { ok: true, outputs: good, nodeErrors, prompt };
}

/** `node.get('_meta', {}).get('title')`, distinguishing an absent title from a null one. */
function metaTitle(node: Record<string, unknown>): { present: boolean; value: unknown } {
  const meta = Object.prototype.hasOwnProperty.call(node, '_meta') ? node['_meta'] : {};
  if (!isDict(meta)) throw new PyError('AttributeError', "object has no attribute 'get'");
  return Object.prototype.hasOwnProperty.call(meta, 'title')
    ? { present: true, value: meta['title'] }
    : { present: false, value: null };
}
