// Output tagging (tagging.ts): the prompt rewrite, its refusals, and the inverse on paths.
import { describe, expect, it } from 'vitest';
import { outputKey, safePrefix, tagPrompt, TaggingError, tempPrefix, untag } from './tagging';

const JOB = '6f947081-fa8d-4907-84c6-c7c8a6d7c667';

const prompt = () => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'renders/cat' } },
  '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] }, _meta: { title: 'Look' } },
  '4': {
    class_type: 'SaveAnimatedPNG',
    inputs: { images: ['1', 0], filename_prefix: 'anim', fps: 6 },
  },
  '5': { class_type: 'SaveAudio', inputs: { audio: ['9', 0], filename_prefix: 'audio/ComfyUI' } },
  '6': { class_type: 'MyCustomSaver', inputs: { images: ['1', 0], filename_prefix: 'custom' } },
  '7': {
    class_type: 'CheckpointSave',
    inputs: { model: ['8', 0], filename_prefix: 'checkpoints/ComfyUI' },
  },
  '12:7': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'sub' } },
});

describe('tagPrompt', () => {
  it('prefixes every output node with comfyume/<job>/<node>/ and leaves the input untouched', () => {
    const original = prompt();
    const { prompt: tagged, outputNodes } = tagPrompt(original, JOB);
    const prefix = (id: string) =>
      (tagged[id] as { inputs: { filename_prefix: string } }).inputs.filename_prefix;
    expect(prefix('2')).toBe(`comfyume/${JOB}/2/renders/cat`);
    expect(prefix('4')).toBe(`comfyume/${JOB}/4/anim`);
    expect(prefix('6')).toBe(`comfyume/${JOB}/6/custom`);
    expect(prefix('7')).toBe(`comfyume/${JOB}/7/checkpoints/ComfyUI`);
    expect(prefix('12:7')).toBe(`comfyume/${JOB}/12:7/sub`);
    expect(original['2'].inputs.filename_prefix).toBe('renders/cat');
    expect(outputNodes.map((n) => n.nodeId).sort()).toEqual(['12:7', '2', '3', '4', '5', '6', '7']);
    expect(outputNodes.find((n) => n.nodeId === '4')).toMatchObject({
      key: 'images',
      animated: true,
      deliverAs: 'output',
    });
    expect(outputNodes.find((n) => n.nodeId === '5')).toMatchObject({
      key: 'audio',
      originalPrefix: 'audio/ComfyUI',
    });
    expect(outputNodes.find((n) => n.nodeId === '7')).toMatchObject({ deliverFiles: false });
    expect(outputNodes.find((n) => n.nodeId === '6')).toMatchObject({
      key: '',
      deliverFiles: true,
    });
  });

  it('turns PreviewImage into a tagged SaveImage delivered as temp, with ComfyUI’s temp stem', () => {
    const { prompt: tagged, outputNodes } = tagPrompt(prompt(), JOB);
    const node = tagged['3'] as {
      class_type: string;
      inputs: Record<string, unknown>;
      _meta: unknown;
    };
    expect(node.class_type).toBe('SaveImage');
    expect(node.inputs.images).toEqual(['1', 0]);
    expect(node._meta).toEqual({ title: 'Look' });
    const stem = tempPrefix(JOB, '3');
    expect(stem).toMatch(/^ComfyUI_temp_[abcdefghijklmnopqrstuvxyz]{5}$/);
    expect(node.inputs.filename_prefix).toBe(`comfyume/${JOB}/3/${stem}`);
    expect(outputNodes.find((n) => n.nodeId === '3')).toMatchObject({
      classType: 'PreviewImage',
      submittedClassType: 'SaveImage',
      deliverAs: 'temp',
      originalPrefix: stem,
    });
    expect(tagPrompt(prompt(), JOB).prompt).toEqual(tagged); // pure: same input, same output
  });

  it.each([
    ['/etc/passwd', /absolute path/],
    ['C:\\Windows\\x', /absolute path/],
    ['../escape', /outside the output folder/],
    ['a/../../b', /outside the output folder/],
    ['a\\..\\..\\b', /outside the output folder/],
    ['..', /outside the output folder/],
  ])('refuses the prefix %j before submit', (bad, reason) => {
    const p = prompt();
    p['2'].inputs.filename_prefix = bad;
    expect(() => tagPrompt(p, JOB)).toThrow(TaggingError);
    expect(() => tagPrompt(p, JOB)).toThrow(reason);
  });

  it('normalises harmless prefixes as ComfyUI would', () => {
    expect(safePrefix('a/./b//c', '2', 'SaveImage')).toBe('a/b/c');
    expect(safePrefix('a/../b', '2', 'SaveImage')).toBe('b');
    expect(safePrefix('renders/', '2', 'SaveImage')).toBe('renders');
    expect(safePrefix('', '2', 'SaveImage')).toBe('ComfyUI');
  });

  it('refuses node ids that could name another folder, and prefixes from computed links', () => {
    expect(() =>
      tagPrompt({ '../x': { class_type: 'SaveImage', inputs: { filename_prefix: 'a' } } }, JOB),
    ).toThrow(/node id/);
    const linked = {
      '8': { class_type: 'StringConcatenate', inputs: { string_a: 'a', string_b: 'b' } },
      '9': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: ['8', 0] } },
    };
    expect(() => tagPrompt(linked, JOB)).toThrow(/comes from node 8 \(StringConcatenate\)/);
    const primitive = {
      '8': { class_type: 'PrimitiveString', inputs: { value: 'from/primitive' } },
      '9': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: ['8', 0] } },
    };
    const { prompt: tagged } = tagPrompt(primitive, JOB);
    expect((tagged['9'] as { inputs: { filename_prefix: string } }).inputs.filename_prefix).toBe(
      `comfyume/${JOB}/9/from/primitive`,
    );
    expect(() => tagPrompt(prompt(), 'not-a-uuid')).toThrow(/canonical UUID/);
  });
});

describe('untag', () => {
  it('recovers job, node, subfolder and prefix from a tagged file path', () => {
    expect(untag(`comfyume/${JOB}/2/renders/cat_00012_.png`)).toEqual({
      jobId: JOB,
      attempt: 1,
      nodeId: '2',
      subfolder: 'renders',
      originalPrefix: 'renders/cat',
      file: 'cat_00012_.png',
      extension: '.png',
    });
    expect(untag(`/mnt/sfs/comfyume/${JOB}/12:7/x_00001_.webp`)).toMatchObject({
      nodeId: '12:7',
      originalPrefix: 'x',
      subfolder: '',
    });
    expect(untag(`comfyume\\${JOB}\\3\\ComfyUI_temp_abcde_00001_.png`)).toMatchObject({
      originalPrefix: 'ComfyUI_temp_abcde',
    });
  });

  it('is the inverse of the tag for every tagged node', () => {
    for (const node of tagPrompt(prompt(), JOB).outputNodes) {
      const back = untag(`comfyume/${JOB}/${node.nodeId}/${node.originalPrefix}_00001_.png`);
      expect(back).toMatchObject({
        jobId: JOB,
        nodeId: node.nodeId,
        originalPrefix: node.originalPrefix,
      });
    }
  });

  it('answers null for paths that are not ours', () => {
    expect(untag('ComfyUI_00001_.png')).toBeNull();
    expect(untag(`comfyume/not-a-job/2/x.png`)).toBeNull();
    expect(untag(`comfyume/${JOB}/2`)).toBeNull();
    expect(untag(`comfyume/${JOB}/2/../../x.png`)).toBeNull();
  });

  it('picks UI keys from the node, else from the extension', () => {
    expect(outputKey({ key: 'gifs' }, '.mp4')).toBe('gifs');
    expect(outputKey({ key: '' }, '.flac')).toBe('audio');
    expect(outputKey(undefined, '.glb')).toBe('3d');
    expect(outputKey(undefined, '.png')).toBe('images');
  });
});
