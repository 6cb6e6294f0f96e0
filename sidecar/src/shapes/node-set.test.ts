/** The GPU's node set with only the attendee's inert local-only nodes, which never reach the GPU. */
import { describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../relay/gpu-catalog';
import { isInert, mergeObjectInfo, withoutInert, withoutLocalOnly } from './node-set';

const def = (output: string[], outputNode = false) =>
  ({ input: {}, output, output_node: outputNode, name: 'x' }) as unknown as ObjectInfo[string];
const gpu: ObjectInfo = { SaveImage: def([], true), EmptyImage: def(['IMAGE']) };
const local = {
  SaveImage: def([], true),
  EmptyImage: def(['IMAGE']),
  LocalSaver: def([], true),
  LocalMaker: def(['IMAGE']),
  StickyNote: def([]),
};

describe('node set', () => {
  it('keeps the GPU set and adds only local nodes that can never run', () => {
    expect(isInert(local.StickyNote)).toBe(true);
    expect(isInert(local.LocalSaver)).toBe(false);
    expect(Object.keys(mergeObjectInfo(gpu, local)).sort()).toEqual([
      'EmptyImage',
      'SaveImage',
      'StickyNote',
    ]);
    expect(mergeObjectInfo(gpu, undefined)).toBe(gpu);
  });

  it('takes local-only nodes out of the prompt sent to the GPU', () => {
    const prompt = {
      '1': { class_type: 'EmptyImage', inputs: {} },
      '2': { class_type: 'StickyNote', inputs: {} },
      '3': { class_type: 'SaveImage', inputs: {} },
    };
    expect(Object.keys(withoutLocalOnly(prompt, gpu))).toEqual(['1', '3']);
    const clean = { '1': prompt['1'] };
    expect(withoutLocalOnly(clean, gpu)).toBe(clean);
  });

  it('with no GPU set yet, takes every inert node out by the local definitions (they never run anywhere)', () => {
    const prompt = {
      '1': { class_type: 'EmptyImage', inputs: {} },
      '2': { class_type: 'StickyNote', inputs: {} },
      '3': { class_type: 'LocalSaver', inputs: {} },
    };
    expect(Object.keys(withoutInert(prompt, local as ObjectInfo))).toEqual(['1', '3']);
    const clean = { '1': prompt['1'], '3': prompt['3'] };
    expect(withoutInert(clean, local as ObjectInfo)).toBe(clean);
  });
});
