/**
 * The escape prefix is failed as ComfyUI fails it: the recorded run3 execution_error of both
 * generations, field for field where the sidecar can know it (message, type, traceback, executed,
 * current_outputs, the widget and hidden inputs).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir, readJson } from '../../../test/support/recorded-ws';
import { predictSaveEscape, upstreamOrder } from './save-escape';

type Post = {
  request: {
    body: { prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }> };
  };
};
type WsLine = { dir: string; msg?: { type: string; data: Record<string, unknown> } };

const objectInfo = readJson<Record<string, never>>('real-0.27.0/api/object_info/_all.json');

function errorOf(rel: string): Record<string, unknown> {
  for (const line of readFileSync(resolve(fixturesDir, rel), 'utf8').split('\n').filter(Boolean)) {
    const row = JSON.parse(line) as WsLine;
    if (row.dir === 'in' && row.msg?.type === 'execution_error') return row.msg.data;
  }
  throw new Error(`no execution_error in ${rel}`);
}

const cases = [
  { flavor: '0.8' as const, run: 'real-0.8.0/run3_execution_error' },
  { flavor: '0.27' as const, run: 'real-0.27.0/api/run3_execution_error' },
];

describe('predictSaveEscape (run3: SaveImage filename_prefix "../../escape_attempt")', () => {
  for (const { flavor, run } of cases) {
    it(`words the failure as ComfyUI ${flavor} does`, () => {
      const prompt = readJson<Post>(`${run}/post_prompt.json`).request.body.prompt;
      const recorded = errorOf(`${run}/ws.jsonl`);
      const failure = predictSaveEscape({
        prompt,
        outputs: ['2'],
        objectInfo,
        extraData: {},
        outputDir: '/opt/ComfyUI/output',
        flavor,
      });
      expect(failure).toBeDefined();
      expect(failure!.executedNodes).toEqual(recorded.executed);
      const e = failure!.error;
      expect([e.nodeId, e.nodeType, e.exceptionType]).toEqual([
        recorded.node_id,
        recorded.node_type,
        recorded.exception_type,
      ]);
      expect(e.exceptionMessage).toBe(recorded.exception_message);
      expect(e.traceback).toEqual(recorded.traceback);
      expect(e.currentOutputs).toEqual(recorded.current_outputs);
      const inputs = recorded.current_inputs as Record<string, unknown[]>;
      expect(Object.keys(e.currentInputs)).toEqual(Object.keys(inputs));
      for (const key of ['filename_prefix', 'prompt', 'extra_pnginfo'])
        expect(e.currentInputs[key], key).toEqual(inputs[key]);
    });
  }

  it('ignores previews and prompts without escapes; follows a Primitive prefix', () => {
    const prompt = {
      '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'fine' } },
      '4': { class_type: 'PrimitiveString', inputs: { value: '../up' } },
      '5': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: ['4', 0] } },
    };
    const base = {
      prompt,
      objectInfo,
      extraData: {},
      outputDir: '/srv/out',
      flavor: '0.27' as const,
    };
    expect(predictSaveEscape({ ...base, outputs: ['2', '3'] })).toBeUndefined();
    expect(predictSaveEscape({ ...base, outputs: ['2', '3', '5'] })?.error.nodeId).toBe('5');
  });

  it('orders upstream nodes inputs-first', () => {
    const prompt = {
      '1': { class_type: 'A', inputs: {} },
      '2': { class_type: 'B', inputs: { x: ['1', 0] } },
      '3': { class_type: 'C', inputs: { a: ['2', 0], b: ['1', 0] } },
    };
    expect(upstreamOrder(prompt, '3')).toEqual(['1', '2']);
  });
});
