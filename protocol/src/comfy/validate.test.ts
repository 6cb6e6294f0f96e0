/** @fileoverview validate.ts against every recorded POST /prompt refusal and success of real ComfyUI. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apiDir,
  type Exchange,
  objectInfo,
  readJson,
  type Version,
} from '../../../test/support/comfy-fixtures';
import {
  checkPromptRequest,
  type ComfyFlavor,
  malformedJsonResponse,
  toHttpResponse,
  validatePrompt,
} from './validate';
import type { ComfyHistoryMap } from './http';

const versions: [Version, ComfyFlavor][] = [
  ['0.8.0', '0.8'],
  ['0.27.0', '0.27'],
];

/** What ComfyUI would answer to this body, via our functions. */
function answer(body: unknown, v: Version, flavor: ComfyFlavor) {
  const checked = checkPromptRequest(body, { flavor });
  if (!checked.ok) return checked;
  const targets = checked.request.partial_execution_targets ?? undefined;
  return validatePrompt(checked.request.prompt as Record<string, unknown>, objectInfo(v), targets, {
    flavor,
  });
}

describe.each(versions)('prompt_errors of ComfyUI %s', (v, flavor) => {
  const dir = path.join(apiDir(v), 'prompt_errors');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('has recordings', () => expect(files.length).toBeGreaterThanOrEqual(9));

  it.each(files)('%s is reproduced exactly', (file) => {
    const ex = readJson<Exchange>(path.join(dir, file));
    if (ex.request.raw_body !== undefined) {
      // aiohttp fails on request.json() before any ComfyUI code runs.
      const crash = malformedJsonResponse();
      expect([crash.status, crash.contentType, crash.body]).toEqual([
        ex.response.status,
        ex.response.content_type,
        ex.response.text,
      ]);
      return;
    }
    const result = answer(ex.request.body, v, flavor);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(ex.response.status);
    expect(result.body).toEqual(ex.response.json);
    // Same key order too, so the bytes are the same.
    expect(JSON.stringify(result.body)).toBe(JSON.stringify(ex.response.json));
    expect(toHttpResponse(result).contentType).toBe(ex.response.content_type);
  });
});

describe.each(versions)('accepted prompts of ComfyUI %s', (v, flavor) => {
  const runs = readdirSync(apiDir(v)).filter((d) => d.startsWith('run'));

  it.each(runs)('%s validates to the recorded outputs_to_execute', (run) => {
    const post = readJson<Exchange>(path.join(apiDir(v), run, 'post_prompt.json'));
    const history = readJson<Exchange>(path.join(apiDir(v), run, 'history.json')).response
      .json as ComfyHistoryMap;
    const entry = Object.values(history)[0];
    const result = answer(post.request.body, v, flavor);
    expect(result.ok).toBe(true);
    if (!result.ok || !entry) return;
    expect([...result.outputs].sort()).toEqual([...entry.prompt[4]].sort());
    expect(result.nodeErrors).toEqual({});
    expect(result.prompt).toEqual(entry.prompt[2]);
  });
});

describe('validatePrompt beyond the recordings (0.27 texts)', () => {
  const info = objectInfo('0.27.0');
  const empty = (extra: Record<string, unknown> = {}) => ({
    class_type: 'EmptyImage',
    inputs: { width: 64, height: 64, batch_size: 1, color: 0, ...extra },
  });
  const save = (images: unknown) => ({
    class_type: 'SaveImage',
    inputs: { images, filename_prefix: 'x' },
  });
  const run = (prompt: Record<string, unknown>, targets?: string[]) =>
    validatePrompt(prompt, info, targets);
  const firstError = (r: ReturnType<typeof run>, node: string) =>
    !r.ok && r.status === 400 ? r.body.node_errors[node]?.errors[0] : undefined;

  it('uses _meta.title in missing_node_type', () => {
    const r = run({ '7': { class_type: 'Nope', inputs: {}, _meta: { title: 'My Node' } } });
    expect(r.ok || r.status !== 400 ? null : r.body.error).toEqual({
      type: 'missing_node_type',
      message: "Node 'My Node' not found. The custom node may not be installed.",
      details: "Node ID '#7'",
      extra_info: { node_id: '7', class_type: 'Nope', node_title: 'My Node' },
    });
  });

  it('reports a link to a missing node as exception_during_validation (KeyError)', () => {
    const e = firstError(run({ '2': save(['9', 0]) }), '2');
    expect(e).toMatchObject({
      type: 'exception_during_validation',
      details: "'9'",
      extra_info: { exception_type: 'KeyError' },
    });
  });

  it('reports a wrong output slot as IndexError', () => {
    const e = firstError(run({ '1': empty(), '2': save(['1', 3]) }), '2');
    expect(e).toMatchObject({
      details: 'tuple index out of range',
      extra_info: { exception_type: 'IndexError' },
    });
  });

  it('reports values under min with Python formatting', () => {
    const e = firstError(run({ '1': empty({ batch_size: 0 }), '2': save(['1', 0]) }), '1');
    expect(e).toEqual({
      type: 'value_smaller_than_min',
      message: 'Value 0 smaller than min of 1',
      details: 'batch_size',
      extra_info: {
        input_name: 'batch_size',
        input_config: ['INT', { default: 1, min: 1, max: 4096 }],
        received_value: 0,
      },
    });
  });

  it('formats FLOAT bounds as Python floats', () => {
    const blur = {
      class_type: 'ImageBlur',
      inputs: { image: ['1', 0], blur_radius: 1, sigma: 0.05 },
    };
    const e = firstError(run({ '1': empty(), '2': blur, '3': save(['2', 0]) }), '2');
    expect(e?.message).toBe('Value 0.05 smaller than min of 0.1');
  });

  it('reports invalid_input_type with the int() exception text', () => {
    const e = firstError(run({ '1': empty({ width: 'wide' }), '2': save(['1', 0]) }), '1');
    expect(e).toMatchObject({
      type: 'invalid_input_type',
      message: 'Failed to convert an input value to a INT value',
      details: "width, wide, invalid literal for int() with base 10: 'wide'",
    });
  });

  it('converts numeric strings like ComfyUI and returns the converted prompt', () => {
    const r = run({ '1': empty({ width: '128' }), '2': save(['1', 0]) });
    expect(r.ok && r.prompt['1']?.['inputs']).toMatchObject({ width: 128 });
  });

  it('reports value_not_in_list with repr() of the options', () => {
    const ckpt = {
      class_type: 'CheckpointLoaderSimple',
      inputs: { ckpt_name: 'missing.safetensors' },
    };
    const dec = { class_type: 'VAEDecode', inputs: { samples: ['9', 0], vae: ['4', 2] } };
    const lat = {
      class_type: 'EmptyLatentImage',
      inputs: { width: 64, height: 64, batch_size: 1 },
    };
    const r = run({ '4': ckpt, '9': lat, '8': dec, '2': save(['8', 0]) });
    const e = firstError(r, '4');
    const options = (info['CheckpointLoaderSimple']?.input.required?.['ckpt_name']?.[0] ??
      []) as string[];
    expect(e?.type).toBe('value_not_in_list');
    expect(e?.details).toBe(
      `ckpt_name: 'missing.safetensors' not in [${options.map((o) => `'${o}'`).join(', ')}]`,
    );
    expect(!r.ok && r.status === 400 && r.body.node_errors['4']?.dependent_outputs).toEqual(['2']);
  });

  it('answers partial success: 200 with node_errors for the bad output only', () => {
    const r = run({
      '1': empty(),
      '2': save(['1', 0]),
      '3': { class_type: 'PreviewImage', inputs: {} },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.outputs).toEqual(['2']);
    expect(r.nodeErrors['3']).toEqual({
      errors: [
        {
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: 'images',
          extra_info: { input_name: 'images' },
        },
      ],
      dependent_outputs: ['3'],
      class_type: 'PreviewImage',
    });
  });

  it('honours partial_execution_targets', () => {
    const r = run(
      { '1': empty(), '2': save(['1', 0]), '3': { class_type: 'PreviewImage', inputs: {} } },
      ['2'],
    );
    expect(r.ok && [r.outputs, r.nodeErrors]).toEqual([['2'], {}]);
    const none = run({ '1': empty(), '2': save(['1', 0]) }, ['1']);
    expect(!none.ok && none.status === 400 && none.body.error.type).toBe('prompt_no_outputs');
  });

  it('detects dependency cycles', () => {
    const inv = (src: string) => ({ class_type: 'ImageInvert', inputs: { image: [src, 0] } });
    const r = run({ '1': inv('2'), '2': inv('1'), '3': save(['1', 0]) });
    expect(firstError(r, '1')).toMatchObject({
      type: 'dependency_cycle',
      details: '1 (ImageInvert) -> 2 (ImageInvert) -> 1 (ImageInvert)',
    });
  });

  it('answers 500 where ComfyUI raises', () => {
    expect(validatePrompt({ '1': 'not a node' }, info).ok).toBe(false);
    expect(validatePrompt({ '1': 'not a node' }, info)).toEqual(malformedJsonResponse());
    expect(checkPromptRequest(null)).toEqual(malformedJsonResponse());
    expect(checkPromptRequest({ prompt: {}, number: 'x' })).toEqual(malformedJsonResponse());
  });

  it('accepts canonical prompt ids and an explicit null', () => {
    expect(
      checkPromptRequest({ prompt: {}, prompt_id: '0a0b0c0d-0000-4000-8000-000000000000' }).ok,
    ).toBe(true);
    expect(checkPromptRequest({ prompt: {}, prompt_id: null }).ok).toBe(true);
    expect(checkPromptRequest({ prompt: {}, prompt_id: 5 }).ok).toBe(false);
  });

  it('serialises bodies like Python json.dumps', () => {
    const r = checkPromptRequest({ client_id: 'x' });
    expect(!r.ok && toHttpResponse(r).body).toBe(
      '{"error": {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": {}}, "node_errors": {}}',
    );
  });
});
