/**
 * @fileoverview `VALIDATE_INPUTS` of core nodes, which `/object_info` does not describe.
 * Their inputs skip the min/max/combo checks, which is why a missing LoadImage file is a
 * `custom_validation_failed` ("Invalid image file: x.png"), not a `value_not_in_list`.
 */
import type { ComfyNodeDef } from './http';
import type { ComfyPromptError } from './http';
import { pyStr } from './py-format';
import { PyError, pyTypeName } from './py-values';

/** A node class's `VALIDATE_INPUTS`: returns true, false or a message (Python semantics). */
export interface CustomValidator {
  /** Python qualname, for the TypeError when an argument is missing. */
  qualname: string;
  /** Argument names of VALIDATE_INPUTS (those inputs skip the min/max/combo checks). */
  inputs: string[];
  validate(args: Record<string, unknown>, ctx: { nodeDef: ComfyNodeDef }): true | false | string;
}

/** Decides whether an (optionally annotated: `x.png [output]`) input file exists. */
export type FileExists = (annotatedPath: string, nodeDef: ComfyNodeDef) => boolean;

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

const ANNOTATION = / \[(input|output|temp)\]$/;

/**
 * Default existence check: the file is in the node's combo list (the input folder listing the
 * object_info was fetched with). Files annotated `[output]`/`[temp]`, and nodes whose list is
 * fetched client-side, cannot be checked here and are accepted.
 */
export const comboListFileExists: FileExists = (annotatedPath, nodeDef) => {
  const match = ANNOTATION.exec(annotatedPath);
  if (match && match[1] !== 'input') return true;
  const name = match ? annotatedPath.slice(0, match.index) : annotatedPath;
  const spec = nodeDef.input.required?.['image'] ?? nodeDef.input.optional?.['image'];
  const type = spec?.[0];
  const options = Array.isArray(type)
    ? type
    : type === 'COMBO'
      ? spec?.[1]?.['options']
      : undefined;
  if (!Array.isArray(options)) return true;
  return options.includes(name) || options.includes(annotatedPath);
};

/** LoadImage-style `VALIDATE_INPUTS(s, image)`: `"Invalid image file: {image}"`. */
export function loadImageValidator(
  qualname: string,
  fileExists: FileExists = comboListFileExists,
): CustomValidator {
  return {
    qualname,
    inputs: ['image'],
    validate(args, { nodeDef }) {
      const image = args['image'];
      // folder_paths.annotated_filepath(None) → name.endswith(...) on None.
      if (typeof image !== 'string') {
        throw new PyError(
          'AttributeError',
          `'${pyTypeName(image)}' object has no attribute 'endswith'`,
        );
      }
      return fileExists(image, nodeDef) ? true : `Invalid image file: ${pyStr(image)}`;
    },
  };
}

/** The core nodes with a VALIDATE_INPUTS that matters for prompts built in the UI. */
export function defaultValidators(
  fileExists: FileExists = comboListFileExists,
): Record<string, CustomValidator> {
  return {
    LoadImage: loadImageValidator('LoadImage.VALIDATE_INPUTS', fileExists),
    LoadImageMask: loadImageValidator('LoadImageMask.VALIDATE_INPUTS', fileExists),
    // Inherits LoadImage's classmethod, so Python names it LoadImage.VALIDATE_INPUTS.
    LoadImageOutput: loadImageValidator('LoadImage.VALIDATE_INPUTS', fileExists),
  };
}

/**
 * Calls a node's VALIDATE_INPUTS as `validate_inputs` does: declared inputs by value, links as
 * None (nothing has run yet); a missing argument raises TypeError like the Python call would.
 */
export function runCustomValidator(
  validator: CustomValidator,
  def: ComfyNodeDef,
  inputs: Record<string, unknown>,
  receivedTypes: Record<string, unknown>,
  errors: ComfyPromptError[],
): void {
  // get_input_data(): declared inputs by value, links as None (nothing has run yet).
  const declared = { ...(def.input.required ?? {}), ...(def.input.optional ?? {}) };
  const args: Record<string, unknown> = {};
  for (const [x, v] of Object.entries(inputs)) {
    if (!validator.inputs.includes(x)) continue;
    if (Array.isArray(v)) args[x] = null;
    else if (own(declared, x)) args[x] = v;
  }
  if (validator.inputs.includes('input_types')) args['input_types'] = receivedTypes;
  const missing = validator.inputs.filter((n) => !own(args, n));
  if (missing.length > 0) {
    const names = missing.map((n) => `'${n}'`).join(missing.length === 2 ? ' and ' : ', ');
    const s = missing.length === 1 ? '' : 's';
    throw new PyError(
      'TypeError',
      `${validator.qualname}() missing ${missing.length} required positional argument${s}: ${names}`,
    );
  }
  const r = validator.validate(args, { nodeDef: def });
  if (r === true) return;
  const names = Object.keys(args);
  for (const x of names.length > 0 ? names : [null]) {
    errors.push({
      type: 'custom_validation_failed',
      message: 'Custom validation failed for node',
      details: r === false ? (x ?? '') : x === null ? pyStr(r) : `${x} - ${r}`,
      extra_info: x === null ? {} : { input_name: x },
    });
  }
}
