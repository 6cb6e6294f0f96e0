/**
 * @fileoverview The nesting limit for JSON request bodies, checked on the raw text before
 * `JSON.parse`. Parsing a 5,000-deep body works, but everything after it that walks the value
 * recursively (JSON.stringify when the job is stored, validation, Python-style dumps) overflows the
 * stack; refusing the body up front turns that 500 into a 400 naming the limit.
 *
 * The scan is a single loop over the text (no recursion, no allocation per level), so it cannot
 * itself overflow, and it stops at the first level over the limit.
 */

/** The deepest nesting accepted: far beyond any ComfyUI workflow (≈10 levels), far below the stack. */
export const MAX_JSON_DEPTH = 256;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * True when `text` (JSON or something meant to be JSON) opens more than `max` arrays/objects inside
 * one another. Brackets inside strings do not count. Malformed text is left for JSON.parse to refuse.
 */
export function nestsDeeperThan(text: string | Uint8Array, max = MAX_JSON_DEPTH): boolean {
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i]!;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH)
        i++; // the escaped character cannot end the string
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

/** The message both services give (each adds its own code/shape). */
export const tooDeepMessage = (max = MAX_JSON_DEPTH) =>
  `The request nests arrays/objects deeper than ${max} levels, the most this service accepts; a ComfyUI workflow needs about 10. Send the workflow without the extra nesting.`;
