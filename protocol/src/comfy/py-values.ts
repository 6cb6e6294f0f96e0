/**
 * @fileoverview Python value semantics ComfyUI's validator relies on: int()/float()/bool()
 * conversions with CPython's exception texts, `==`, `<`, and exceptions as values (PyError).
 */
import { pyStrRepr } from './py-format';

/** A Python exception we emulate: `type` is `full_type_name` (builtins are bare: `KeyError`). */
export class PyError extends Error {
  constructor(
    readonly pyType: string,
    readonly pyMessage: string,
  ) {
    super(`${pyType}: ${pyMessage}`);
    this.name = 'PyError';
  }
}

export function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `type(v).__name__` for JSON values (integral numbers are ints, as json.loads makes them). */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

const INT_LITERAL = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT_LITERAL =
  /^[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+(?:_\d+)*)?|\d+(?:_\d+)*\.(?:[eE][+-]?\d+(?:_\d+)*)?)$/;
const FLOAT_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/** CPython `int(v)`. */
export function pyInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new PyError('ValueError', 'cannot convert float NaN to integer');
    if (!Number.isFinite(v))
      throw new PyError('OverflowError', 'cannot convert float infinity to integer');
    return Math.trunc(v);
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if (INT_LITERAL.test(s)) return Number(s.replace(/_/g, ''));
    throw new PyError('ValueError', `invalid literal for int() with base 10: ${pyStrRepr(v)}`);
  }
  throw new PyError(
    'TypeError',
    `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'`,
  );
}

/** CPython `float(v)`. */
export function pyFloat(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (FLOAT_LITERAL.test(s)) return Number(s.replace(/_/g, ''));
    if (FLOAT_SPECIAL.test(s)) {
      if (/nan/i.test(s)) return NaN;
      return s.startsWith('-') ? -Infinity : Infinity;
    }
    throw new PyError('ValueError', `could not convert string to float: ${pyStrRepr(v)}`);
  }
  throw new PyError(
    'TypeError',
    `float() argument must be a string or a real number, not '${pyTypeName(v)}'`,
  );
}

/** CPython truthiness (`bool(v)`). */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

const numeric = (v: unknown): v is number | boolean =>
  typeof v === 'number' || typeof v === 'boolean';

/** CPython `a == b` for JSON values (`1 == 1.0 == True`). */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (numeric(a) && numeric(b)) return Number(a) === Number(b);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  }
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && pyEquals(a[k], b[k]));
  }
  return false;
}

/** CPython `a < b` (`op` '<') or `a > b` (`op` '>'); mixed types raise TypeError as Python does. */
export function pyCompare(a: unknown, op: '<' | '>', b: unknown): boolean {
  if (numeric(a) && numeric(b)) return op === '<' ? Number(a) < Number(b) : Number(a) > Number(b);
  if (typeof a === 'string' && typeof b === 'string') return op === '<' ? a < b : a > b;
  throw new PyError(
    'TypeError',
    `'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`,
  );
}
