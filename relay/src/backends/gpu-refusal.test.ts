/**
 * The GPU's POST /prompt 400 as a JobError naming the node: the bodies are produced by the same
 * validation the simulated GPU answers with, in both ComfyUI generations.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';
import {
  toHttpResponse,
  validatePrompt,
  type ComfyFlavor,
} from '../../../protocol/src/comfy/validate';
import { gpuRefusal } from './gpu-refusal';

const defs = createRequire(import.meta.url)(
  '../../../simulator/src/nodes/object-info.json',
) as Record<string, ComfyNodeDef>;
const { ImageBlur: _lacking, ...gpuNodes } = defs;

const prompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 1, sigma: 1 } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'x' } },
};

function refusalBody(p: Record<string, unknown>, flavor: ComfyFlavor) {
  const result = validatePrompt(p, gpuNodes, null, { flavor });
  if (result.ok) throw new Error('expected a refusal');
  const http = toHttpResponse(result);
  expect(http.status).toBe(400);
  return { body: JSON.parse(http.body) as unknown, text: http.body };
}

describe('gpuRefusal', () => {
  it('names the node class the GPU lacks (ComfyUI 0.27: missing_node_type)', () => {
    const { body, text } = refusalBody(prompt, '0.27');
    const error = gpuRefusal(body, text);
    expect(error).toMatchObject({
      nodeId: '2',
      nodeType: 'ImageBlur',
      exceptionType: 'missing_node_type',
    });
    expect(error.message).toBe(
      "the GPU refused the prompt: Node 'ImageBlur' not found. The custom node may not be installed. (Node ID '#2')",
    );
    expect(error.exceptionMessage).toBe(error.message);
  });

  it('names it in the 0.8 wording too (invalid_prompt, "does not exist")', () => {
    const { body, text } = refusalBody(prompt, '0.8');
    expect(gpuRefusal(body, text)).toMatchObject({
      nodeId: '2',
      nodeType: 'ImageBlur',
      exceptionType: 'invalid_prompt',
    });
  });

  it('names the first node with a bad value (node_errors)', () => {
    const bad = {
      ...prompt,
      '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '1': { ...prompt['1'], inputs: { ...prompt['1'].inputs, width: 'wide' } },
    };
    const { body, text } = refusalBody(bad, '0.27');
    const error = gpuRefusal(body, text);
    expect(error).toMatchObject({
      nodeId: '1',
      nodeType: 'EmptyImage',
      exceptionType: 'prompt_outputs_failed_validation',
    });
    expect(error.message).toContain('(Failed to convert an input value to a INT value: width');
  });

  it('keeps a body that is not ComfyUI JSON readable', () => {
    expect(gpuRefusal(undefined, 'Bad Request')).toMatchObject({
      nodeId: '',
      nodeType: '',
      exceptionType: 'prompt_invalid',
      message: 'the GPU refused the prompt: Bad Request',
    });
  });
});
