/** @fileoverview graphToPrompt against the real frontend's own conversion (recorded POST /api/prompt). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  graphToPrompt,
  isApiPrompt,
  isUiWorkflow,
  WorkflowConversionError,
  type ObjectInfo,
} from './graph-to-prompt';

const fixtures = resolve(import.meta.dirname, '../../../../shared/fixtures/comfyui/real-0.8.0');
const load = (path: string) => JSON.parse(readFileSync(resolve(fixtures, path), 'utf8'));
const objectInfo = load('object_info/_all.json') as ObjectInfo;
const recorded = load('frontend/post_prompt_1.json').request.body as {
  prompt: unknown;
  extra_data: { extra_pnginfo: { workflow: unknown } };
};

describe('graphToPrompt', () => {
  it('converts the recorded UI workflow to exactly the prompt the real frontend sent', () => {
    const workflow = recorded.extra_data.extra_pnginfo.workflow;
    expect(isUiWorkflow(workflow)).toBe(true);
    expect(isApiPrompt(workflow)).toBe(false);
    expect(graphToPrompt(workflow, objectInfo)).toEqual(recorded.prompt);
  });

  it('skips the seed control value, follows Reroutes, drops muted nodes and passes bypassed ones through', () => {
    const workflow = {
      nodes: [
        { id: 1, type: 'EmptyImage', widgets_values: [8, 8, 1, 0], outputs: [{ type: 'IMAGE' }] },
        {
          id: 2,
          type: 'Reroute',
          inputs: [{ name: '', type: '*', link: 1 }],
          outputs: [{ type: 'IMAGE' }],
        },
        {
          id: 3,
          type: 'ImageInvert',
          mode: 4,
          inputs: [{ name: 'image', type: 'IMAGE', link: 2 }],
          outputs: [{ type: 'IMAGE' }],
        },
        {
          id: 4,
          type: 'SaveImage',
          inputs: [{ name: 'images', type: 'IMAGE', link: 3 }],
          widgets_values: ['x'],
        },
        {
          id: 5,
          type: 'KSampler',
          mode: 2,
          widgets_values: [42, 'randomize', 20, 8, 'euler', 'normal', 1],
        },
        { id: 6, type: 'KSampler', widgets_values: [42, 'randomize', 20, 8, 'euler', 'normal', 1] },
        { id: 7, type: 'Note', widgets_values: ['hello'] },
      ],
      links: [
        [1, 1, 0, 2, 0, 'IMAGE'],
        [2, 2, 0, 3, 0, 'IMAGE'],
        [3, 3, 0, 4, 0, 'IMAGE'],
      ],
    };
    const prompt = graphToPrompt(workflow, objectInfo);
    expect(Object.keys(prompt).sort()).toEqual(['1', '4', '6']);
    expect(prompt['4']!.inputs).toEqual({ images: ['1', 0], filename_prefix: 'x' });
    expect(prompt['6']!.inputs).toEqual({
      seed: 42,
      steps: 20,
      cfg: 8,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
    });
  });

  it('refuses what it cannot convert faithfully', () => {
    expect(() =>
      graphToPrompt({ nodes: [{ id: 1, type: 'NoSuchNode' }], links: [] }, objectInfo),
    ).toThrow(WorkflowConversionError);
    expect(() =>
      graphToPrompt({ nodes: [], links: [], definitions: { subgraphs: [{}] } }, objectInfo),
    ).toThrow(/subgraphs/);
    expect(() => graphToPrompt({ nodes: 'x' }, objectInfo)).toThrow(/not a UI-format workflow/);
  });
});
