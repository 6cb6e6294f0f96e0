import { describe, expect, it } from 'vitest';
import { OutputCache, signatureKeys } from './cache';
import type { ApiPrompt } from './types';

const opts = { isChanged: () => undefined, includeNodeId: () => false };
const base = (): ApiPrompt => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'x' } },
});

describe('cache keys', () => {
  it('are the same for the same class and inputs, whatever the node ids', () => {
    const a = signatureKeys(base(), opts);
    const renamed: ApiPrompt = {
      '7': { class_type: 'EmptyImage', inputs: { color: 0, batch_size: 1, height: 64, width: 64 } },
      '8': { class_type: 'ImageInvert', inputs: { image: ['7', 0] } },
    };
    const b = signatureKeys(renamed, opts);
    expect(b.get('7')).toBe(a.get('1'));
    expect(b.get('8')).toBe(a.get('2'));
  });

  it('change downstream when an upstream widget changes (recursive)', () => {
    const a = signatureKeys(base(), opts);
    const changed = base();
    changed['1']!.inputs.color = 1;
    const b = signatureKeys(changed, opts);
    expect(b.get('1')).not.toBe(a.get('1'));
    expect(b.get('2')).not.toBe(a.get('2'));
    expect(b.get('3')).not.toBe(a.get('3'));
  });

  it('include IS_CHANGED and, for non-idempotent classes, the node id', () => {
    const a = signatureKeys(base(), opts);
    expect(
      signatureKeys(base(), { ...opts, isChanged: (id) => (id === '1' ? 'hash' : undefined) }).get(
        '1',
      ),
    ).not.toBe(a.get('1'));
    expect(
      signatureKeys(base(), { ...opts, includeNodeId: (c) => c === 'SaveImage' }).get('3'),
    ).not.toBe(a.get('3'));
  });

  it('keep only the entries the current prompt uses (classic cache)', () => {
    const cache = new OutputCache();
    cache.setPrompt(signatureKeys(base(), opts));
    cache.set('1', { outputs: ['x'], ui: undefined });
    expect(cache.get('1')?.outputs).toEqual(['x']);
    const other = base();
    other['1']!.inputs.width = 32;
    cache.setPrompt(signatureKeys(other, opts));
    expect(cache.get('1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
