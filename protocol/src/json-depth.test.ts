import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('nestsDeeperThan', () => {
  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(nestsDeeperThan(`{"a":${'{"b":'.repeat(4)}1${'}'.repeat(4)}}`, 4)).toBe(true);
    expect(nestsDeeperThan(`{"a":${'{"b":'.repeat(3)}1${'}'.repeat(3)}}`, 4)).toBe(false);
  });

  it('does not count brackets inside strings, including after escaped quotes', () => {
    const text = JSON.stringify({ s: '[[[[[[{{{{{{', t: 'say \\"[[[[[[" and [[[[' });
    expect(nestsDeeperThan(text, 1)).toBe(false);
  });

  it('scans bytes as well as text (UTF-8 never hides a bracket inside a character)', () => {
    expect(nestsDeeperThan(Buffer.from(`{"é✓":${nested(5)}}`), 5)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(`{"é✓":${nested(4)}}`), 5)).toBe(false);
  });

  it('scans a 1,000,000-deep body without overflowing the stack', () => {
    expect(nestsDeeperThan(nested(1_000_000))).toBe(true);
  });
});
