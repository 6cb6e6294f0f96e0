/**
 * @fileoverview Python-compatible text formatting (repr, str, json.dumps) so bodies and messages
 * we build match what ComfyUI's Python produces byte for byte.
 *
 * Hand-written because no JS library reproduces CPython's repr/json.dumps rules, and ComfyUI puts
 * `repr()` output into error texts (e.g. `value_not_in_list` details) and serves every JSON body
 * through `json.dumps` with its default separators (`", "`, `": "`) and `ensure_ascii`.
 *
 * Limit: JSON.parse loses the int/float distinction, so a Python float that is integral (`5.0`)
 * prints as `5` unless the caller says it is a float (`floats: true` / `pyFloatRepr`).
 */

/** CPython `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
}

/** Python's text for a number: ints as ints, non-integral values (or `asFloat`) as float repr. */
export function pyNumber(x: number, asFloat = false): string {
  if (asFloat || !Number.isInteger(x)) return pyFloatRepr(x);
  // Integers beyond 2^53 cannot be exact here; BigInt at least avoids "1e+21" notation.
  return Number.isSafeInteger(x) ? String(x) : BigInt(x).toString();
}

/** CPython `repr(str)`: single quotes unless the text holds `'` and no `"`. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

export interface PyFormatOptions {
  /** Print integral numbers as floats (`5.0`), for values Python holds as float. */
  floats?: boolean;
}

/** CPython `repr()` of a JSON-like value (dict/list/str/int/float/bool/None). */
export function pyRepr(value: unknown, opts: PyFormatOptions = {}): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value, opts.floats);
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, opts)).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value).map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v, opts)}`);
    return `{${parts.join(', ')}}`;
  }
  return String(value);
}

/** CPython `str()`: strings as they are, everything else as repr. */
export function pyStr(value: unknown, opts: PyFormatOptions = {}): string {
  return typeof value === 'string' ? value : pyRepr(value, opts);
}

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    const code = s.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    // ensure_ascii: everything outside ' '..'~' becomes \uXXXX (UTF-16 units, as Python does)
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * `json.dumps(value)` with Python's defaults, i.e. exactly the bytes aiohttp's
 * `web.json_response` and `ws.send_json` put on the wire. `undefined` members are skipped.
 */
export function pyJsonDumps(value: unknown, opts: PyFormatOptions = {}): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return pyNumber(value, opts.floats);
  }
  if (typeof value === 'string') return jsonString(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyJsonDumps(v, opts)).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${jsonString(k)}: ${pyJsonDumps(v, opts)}`);
    return `{${parts.join(', ')}}`;
  }
  return 'null';
}
