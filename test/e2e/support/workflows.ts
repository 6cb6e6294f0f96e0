/** @fileoverview API-format workflows the e2e suite queues (from the shared recordings, varied per run). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const fixtures = path.resolve(import.meta.dirname, '../../../../shared/fixtures/comfyui');
type Prompt = Record<
  string,
  { class_type: string; inputs: Record<string, unknown>; _meta?: { title: string } }
>;
const read = <T>(file: string): T =>
  JSON.parse(readFileSync(path.join(fixtures, file), 'utf8')) as T;

/** EmptyImage(#1, colour 0x3399FF) → ImageInvert(#2) → PreviewImage(#3) + SaveImage(#4): SaveImage shows 0xCC6600. */
export function invertWorkflow(): Prompt {
  return read<{ request: { body: { prompt: Prompt } } }>('real-0.27.0/frontend/post_prompt_1.json')
    .request.body.prompt;
}
export const INVERTED_RGB: [number, number, number] = [0xcc, 0x66, 0x00];

/** The txt2img graph (KSampler #3 with `steps` steps, SaveImage #9), with its own seed so nothing is cached. */
export function txt2img(steps: number, seed: number): Prompt {
  const p = read<Prompt>('api-workflow-txt2img.json');
  p['3']!.inputs.steps = steps;
  p['3']!.inputs.seed = seed;
  return p;
}

/** EmptyImage(#1) → ImageBlur(#2, "Image Blur") → SaveImage(#3): fails at #2 on a GPU told to fail ImageBlur. */
export function blurWorkflow(): Prompt {
  return {
    '1': {
      class_type: 'EmptyImage',
      inputs: { width: 64, height: 64, batch_size: 1, color: 255 },
      _meta: { title: 'Empty Image' },
    },
    '2': {
      class_type: 'ImageBlur',
      inputs: { image: ['1', 0], blur_radius: 3, sigma: 1 },
      _meta: { title: 'Image Blur' },
    },
    '3': {
      class_type: 'SaveImage',
      inputs: { images: ['2', 0], filename_prefix: 'blur' },
      _meta: { title: 'Save Image' },
    },
  };
}
