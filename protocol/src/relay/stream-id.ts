/** @fileoverview Redis stream ids (relay event ids) ("<ms>-<seq>"): validation and ordering, for resume-after-`since`. */
export const STREAM_ID = /^\d{1,20}(-\d{1,20})?$/;

/** Negative when a < b. Ids compare by ms, then sequence. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
