/**
 * @fileoverview Port of ComfyUI's `execution.validate_inputs` (one node and, recursively, its
 * linked inputs) against `/object_info` definitions. Used by validate.ts.
 *
 * Python exceptions are emulated with PyError and caught exactly where ComfyUI catches them.
 * ComfyUI iterates inputs as a Python set (hash order varies per process); we use declaration
 * order, required before optional.
 */
import type { ComfyNodeDef, ComfyPromptError } from './http';
import { type CustomValidator, runCustomValidator } from './validators';
import { pyNumber, pyRepr, pyStr } from './py-format';
import {
  isDict,
  pyCompare,
  pyEquals,
  pyFloat,
  PyError,
  pyInt,
  pyTruthy,
  pyTypeName,
} from './py-values';

/** `(valid, errors, node_id)` as ComfyUI memoises it in `validated`. */
export type Validated = [boolean, ComfyPromptError[], string];

export interface ValidationContext {
  prompt: Record<string, Record<string, unknown>>;
  objectInfo: Record<string, ComfyNodeDef>;
  validators: Record<string, CustomValidator>;
  validated: Map<string, Validated>;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** ComfyUI `validate_node_input`: exact match, `*`, or overlap of comma-separated type sets. */
export function typesCompatible(received: unknown, expected: unknown): boolean {
  if (pyEquals(received, expected)) return true;
  if (received === '*' || expected === '*') return true;
  if (typeof received !== 'string' || typeof expected !== 'string') return false;
  const a = new Set(received.split(',').map((t) => t.trim()));
  return expected.split(',').some((t) => a.has(t.trim()));
}

function inputSpecs(
  def: ComfyNodeDef,
): [string, unknown, Record<string, unknown>, 'required' | 'optional'][] {
  const out: [string, unknown, Record<string, unknown>, 'required' | 'optional'][] = [];
  for (const category of ['required', 'optional'] as const) {
    for (const [name, spec] of Object.entries(def.input[category] ?? {})) {
      if (out.some(([n]) => n === name)) continue; // a name in both: ComfyUI reads 'required'
      const extra = spec[1] ?? {};
      out.push([name, spec[0], extra, category]);
    }
  }
  return out;
}

function indexOutput(types: unknown[], slot: unknown): unknown {
  if (typeof slot !== 'number' && typeof slot !== 'boolean') {
    throw new PyError(
      'TypeError',
      `tuple indices must be integers or slices, not ${pyTypeName(slot)}`,
    );
  }
  if (typeof slot === 'number' && !Number.isInteger(slot)) {
    throw new PyError('TypeError', 'tuple indices must be integers or slices, not float');
  }
  const i = Number(slot);
  const at = i < 0 ? types.length + i : i; // Python allows negative indexes
  if (at < 0 || at >= types.length) throw new PyError('IndexError', 'tuple index out of range');
  return types[at];
}

function lookupNode(ctx: ValidationContext, id: unknown): Record<string, unknown> {
  if (typeof id !== 'string') {
    if (Array.isArray(id) || isDict(id))
      throw new PyError('TypeError', `unhashable type: '${pyTypeName(id)}'`);
    throw new PyError('KeyError', pyRepr(id));
  }
  if (!own(ctx.prompt, id)) throw new PyError('KeyError', pyRepr(id));
  return ctx.prompt[id] as Record<string, unknown>;
}

function convert(inputType: unknown, val: unknown): unknown {
  if (inputType === 'INT') return pyInt(val);
  if (inputType === 'FLOAT') return pyFloat(val);
  if (inputType === 'STRING') return pyStr(val);
  if (inputType === 'BOOLEAN') return pyTruthy(val);
  return val;
}

/** `str(value)` of a number Python holds as float when the input type is FLOAT. */
const show = (v: unknown, asFloat: boolean) =>
  typeof v === 'number' ? pyNumber(v, asFloat) : pyStr(v);

function cycleError(ctx: ValidationContext, visiting: string[], id: string): Validated {
  const path = [...visiting.slice(visiting.indexOf(id)), id];
  const cycleNodes = [...new Set(path)];
  const details = path.map((n) => `${n} (${pyStr(ctx.prompt[n]?.['class_type'])})`).join(' -> ');
  for (const n of cycleNodes) {
    ctx.validated.set(n, [
      false,
      [
        {
          type: 'dependency_cycle',
          message: 'Dependency cycle detected',
          details,
          extra_info: { node_id: n, cycle_nodes: cycleNodes },
        },
      ],
      n,
    ]);
  }
  return ctx.validated.get(id) as Validated;
}

/** Port of `validate_inputs(prompt_id, prompt, item, validated, visiting)`. May throw PyError. */
export function validateInputs(
  ctx: ValidationContext,
  id: string,
  visiting: string[] = [],
): Validated {
  const memo = ctx.validated.get(id);
  if (memo) return memo;
  if (visiting.includes(id)) return cycleError(ctx, visiting, id);

  const node = lookupNode(ctx, id);
  if (!own(node, 'inputs')) throw new PyError('KeyError', "'inputs'");
  const inputs = node['inputs'];
  if (!isDict(inputs))
    throw new PyError('TypeError', `argument of type '${pyTypeName(inputs)}' is not iterable`);
  const classType = node['class_type'] as string;
  const def = ctx.objectInfo[classType] as ComfyNodeDef;
  const validator = own(ctx.validators, classType) ? ctx.validators[classType] : undefined;
  const validatorInputs = validator?.inputs ?? [];
  const errors: ComfyPromptError[] = [];
  const receivedTypes: Record<string, unknown> = {};
  let valid = true;

  for (const [x, inputType, extra, category] of inputSpecs(def)) {
    if (!own(inputs, x)) {
      if (category === 'required') {
        errors.push({
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: x,
          extra_info: { input_name: x },
        });
      }
      continue;
    }
    let val = inputs[x];
    const info = [inputType, extra];
    if (Array.isArray(val)) {
      if (val.length !== 2) {
        errors.push({
          type: 'bad_linked_input',
          message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
          details: x,
          extra_info: { input_name: x, input_config: info, received_value: val },
        });
        continue;
      }
      const oId = val[0];
      const source = lookupNode(ctx, oId);
      const sourceDef = ctx.objectInfo[source['class_type'] as string] as ComfyNodeDef;
      const receivedType = indexOutput(sourceDef.output, val[1]);
      receivedTypes[x] = receivedType;
      if (!validatorInputs.includes('input_types') && !typesCompatible(receivedType, inputType)) {
        errors.push({
          type: 'return_type_mismatch',
          message: 'Return type mismatch between linked nodes',
          details: `${x}, received_type(${pyStr(receivedType)}) mismatch input_type(${pyStr(inputType)})`,
          extra_info: {
            input_name: x,
            input_config: info,
            received_type: receivedType,
            linked_node: val,
          },
        });
        continue;
      }
      const sourceId = oId as string;
      try {
        visiting.push(id);
        let r: Validated;
        try {
          r = validateInputs(ctx, sourceId, visiting);
        } finally {
          visiting.pop();
        }
        if (r[0] === false) valid = false;
      } catch (ex) {
        if (!(ex instanceof PyError)) throw ex;
        valid = false;
        ctx.validated.set(sourceId, [
          false,
          [
            {
              type: 'exception_during_inner_validation',
              message: 'Exception when validating inner node',
              details: ex.pyMessage,
              extra_info: {
                input_name: x,
                input_config: info,
                exception_message: ex.pyMessage,
                exception_type: ex.pyType,
                traceback: [],
                linked_node: val,
              },
            },
          ],
          sourceId,
        ]);
      }
      continue;
    }

    try {
      if (isDict(val) && own(val, '__value__')) {
        val = val['__value__'];
        inputs[x] = val;
      }
      const converted = convert(inputType, val);
      if (converted !== val) inputs[x] = converted;
      val = converted;
    } catch (ex) {
      if (!(ex instanceof PyError)) throw ex;
      errors.push({
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${pyStr(inputType)} value`,
        details: `${x}, ${pyStr(val)}, ${ex.pyMessage}`,
        extra_info: {
          input_name: x,
          input_config: info,
          received_value: val,
          exception_message: ex.pyMessage,
        },
      });
      continue;
    }

    if (validatorInputs.includes(x)) continue;
    const outOfBounds = checkBounds(x, val, extra, info, inputType === 'FLOAT');
    if (outOfBounds) {
      errors.push(outOfBounds);
      continue;
    }

    if (Array.isArray(inputType) || inputType === 'COMBO') {
      if (inputType === 'COMBO' && pyTruthy(extra['remote_combo'])) continue;
      const options = inputType === 'COMBO' ? (extra['options'] ?? []) : inputType;
      const list = Array.isArray(options) ? options : [];
      const multi = pyTruthy(extra['multiselect']) && Array.isArray(val);
      const values = multi ? (val as unknown[]) : [val];
      const invalid = values.filter((v) => !list.some((o) => pyEquals(o, v)));
      if (invalid.length > 0) {
        const big = list.length > 20;
        errors.push({
          type: 'value_not_in_list',
          message: 'Value not in list',
          details: `${x}: ${invalid.map((v) => pyRepr(v)).join(', ')} not in ${big ? `(list of length ${list.length})` : pyRepr(list)}`,
          extra_info: { input_name: x, input_config: big ? null : info, received_value: val },
        });
      }
    }
  }

  if (validator) runCustomValidator(validator, def, inputs, receivedTypes, errors);

  const prev = ctx.validated.get(id) ?? [true, [], id];
  const merged = [...prev[1], ...errors.filter((e) => !prev[1].some((p) => pyEquals(p, e)))];
  const result: Validated = [prev[0] && valid && errors.length === 0, merged, id];
  ctx.validated.set(id, result);
  return result;
}

/** The `min`/`max` checks; ComfyUI prints the numbers with Python's `str()`. */
function checkBounds(
  x: string,
  val: unknown,
  extra: Record<string, unknown>,
  info: unknown[],
  asFloat: boolean,
): ComfyPromptError | null {
  const bounds = [
    ['min', '<', 'value_smaller_than_min', 'smaller than min'],
    ['max', '>', 'value_bigger_than_max', 'bigger than max'],
  ] as const;
  for (const [bound, op, type, word] of bounds) {
    if (own(extra, bound) && pyCompare(val, op, extra[bound])) {
      return {
        type,
        message: `Value ${show(val, asFloat)} ${word} of ${show(extra[bound], asFloat)}`,
        details: x,
        extra_info: { input_name: x, input_config: info, received_value: val },
      };
    }
  }
  return null;
}
