/** Direct mode tags savers (nothing escapes) but leaves PreviewImage as the user placed it. */
import { describe, expect, it } from 'vitest';
import { tagPrompt } from '../tagging';

const JOB = '0f0f0f0f-1111-4222-8333-444455556666';
const prompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
  '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
  '4': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'renders/cat' } },
};

describe("tagPrompt(…, { previews: 'keep' })", () => {
  it('keeps the preview node untouched and out of the tagged outputs', () => {
    const tagged = tagPrompt(prompt, JOB, { previews: 'keep' });
    expect(tagged.prompt['3']).toEqual(prompt['3']);
    expect(tagged.outputNodes.map((n) => n.nodeId)).toEqual(['4']);
    expect(
      (tagged.prompt['4'] as { inputs: { filename_prefix: string } }).inputs.filename_prefix,
    ).toBe(`comfyume/${JOB}/4/renders/cat`);
  });

  it('still refuses what could escape, and tags previews by default', () => {
    expect(() =>
      tagPrompt(
        {
          ...prompt,
          '4': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: '../x' } },
        },
        JOB,
        { previews: 'keep' },
      ),
    ).toThrow(/outside the output folder/);
    expect((tagPrompt(prompt, JOB).prompt['3'] as { class_type: string }).class_type).toBe(
      'SaveImage',
    );
  });
});
