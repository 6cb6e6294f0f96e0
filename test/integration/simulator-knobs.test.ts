/**
 * The simulator's knobs and remaining protocol rules: API key, cold start (timed or held), 5xx bursts, failing or absent node classes,
 * dropped sockets, preview frames (type 4 vs type 1), no-client_id broadcasts, uploads, /view checks and
 * Range, LoadImage's live combo list, SaveAnimatedPNG.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../simulator/src/app';
import { encodePng, readChunks, readTextChunks } from '../../simulator/src/images/png';
import { solidImage } from '../../simulator/src/images/image';
import { postJson, readJson, RecordingClient } from '../../simulator/testing/recorded';
import { until } from '../../kit/until';

const txt2img = readJson<Record<string, { inputs: Record<string, unknown> }>>(
  path.resolve(import.meta.dirname, '../../../shared/fixtures/comfyui/api-workflow-txt2img.json'),
);
const emptySave = {
  '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 2, color: 255 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'knob' } },
};

let dir: string;
let sim: RunningSimulator | undefined;
const start = async (extra: Partial<SimulatorOptions> = {}) =>
  (sim = await startSimulator({
    outputDir: `${dir}/output`,
    inputDir: `${dir}/input`,
    tempDir: `${dir}/temp`,
    stepMs: 2,
    ...extra,
  }));

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sim-knobs-'));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('gate knobs', () => {
  it('apiKey: every route and /ws need the Bearer key', async () => {
    const s = await start({ apiKey: 'sekret' });
    expect((await fetch(`${s.url}/system_stats`)).status).toBe(401);
    expect(
      (await fetch(`${s.url}/system_stats`, { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${s.url}/system_stats`, { headers: { authorization: 'Bearer sekret' } }))
        .status,
    ).toBe(200);
    await expect(RecordingClient.open(s.url)).rejects.toThrow(/401/);
    const ok = await RecordingClient.open(s.url, { headers: { authorization: 'Bearer sekret' } });
    await ok.until((t) => t.some((m) => m.type === 'status'));
    ok.close();
  });

  it('coldStartMs: 503 with an LB-style body until warm, then normal answers', async () => {
    const s = await start({ coldStartMs: 1500 });
    const cold = await fetch(`${s.url}/system_stats`);
    expect(cold.status).toBe(503);
    expect(await cold.text()).toContain('no healthy upstream');
    let status = 503;
    for (let i = 0; i < 200 && status === 503; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await fetch(`${s.url}/system_stats`)).status;
    }
    expect(status).toBe(200);
  });

  it('coldStartMs held until gate.warmNow(): the gate says whether it is warm', async () => {
    const s = await start({ coldStartMs: 60 * 60_000 });
    expect(s.gate.warm).toBe(false);
    expect((await fetch(`${s.url}/system_stats`)).status).toBe(503);
    s.gate.warmNow();
    expect(s.gate.warm).toBe(true);
    expect((await fetch(`${s.url}/system_stats`)).status).toBe(200);
  });

  it('scaleDownMs: a GPU idle past the delay scales to zero; the next request starts a new cold start', async () => {
    const s = await start({ coldStartMs: 60 * 60_000, scaleDownMs: 300 });
    s.gate.warmNow();
    expect((await fetch(`${s.url}/system_stats`)).status).toBe(200);
    expect(s.gate.coldStarts).toBe(1);
    await until(() => s.gate.scaledDown, 10_000, 'the idle GPU to scale down');
    const woken = await fetch(`${s.url}/system_stats`);
    expect(woken.status).toBe(503);
    expect(await woken.text()).toContain('cold start');
    expect(s.gate.coldStarts).toBe(2);
    expect(s.gate.scaledDown).toBe(false);
  });

  it('withoutNodeTypes: the class is not in object_info and POST /prompt answers missing_node_type', async () => {
    const s = await start({ withoutNodeTypes: ['ImageInvert'] });
    const info = (await (await fetch(`${s.url}/object_info`)).json()) as Record<string, unknown>;
    expect(Object.keys(info)).not.toContain('ImageInvert');
    expect(Object.keys(info)).toContain('EmptyImage');
    const prompt = {
      ...emptySave,
      '3': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '2': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'knob' } },
    };
    const refused = await fetch(`${s.url}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe(
      'missing_node_type',
    );
  });

  it('http5xxBurst: the next N requests get 502, then service resumes', async () => {
    const s = await start({ failures: { http5xxBurst: { status: 502, count: 2 } } });
    expect((await fetch(`${s.url}/queue`)).status).toBe(502);
    expect((await fetch(`${s.url}/queue`)).status).toBe(502);
    expect((await fetch(`${s.url}/queue`)).status).toBe(200);
  });

  it('dropSocketsAfterMs: sockets are closed by the server', async () => {
    const s = await start({ failures: { dropSocketsAfterMs: 200 } });
    const client = await RecordingClient.open(s.url);
    const closed = await new Promise<boolean>((resolve) => {
      client.ws.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 30_000);
    });
    expect(closed).toBe(true);
  });
});

describe('execution', () => {
  it('failNodeTypes: the node fails at run time with an execution_error, earlier outputs stay', async () => {
    const s = await start({ failures: { failNodeTypes: ['ImageInvert'] } });
    const client = await RecordingClient.open(s.url, { clientId: 'fail' });
    const prompt = {
      ...emptySave,
      '3': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '4': { class_type: 'PreviewImage', inputs: { images: ['3', 0] } },
    };
    const res = await postJson(`${s.url}/prompt`, { prompt, client_id: 'fail' });
    const id = (res.json as { prompt_id: string }).prompt_id;
    await client.finished(id);
    const types = client.texts().map((m) => m.type);
    expect(types.slice(-3)).toEqual(['execution_error', 'status', 'executing']);
    const error = client.texts().find((m) => m.type === 'execution_error')?.data as Record<
      string,
      unknown
    >;
    expect(error).toMatchObject({
      node_id: '3',
      node_type: 'ImageInvert',
      exception_type: 'RuntimeError',
    });
    expect(Array.isArray(error.traceback)).toBe(true);
    const job = (await (await fetch(`${s.url}/api/jobs/${id}`)).json()) as {
      status: string;
      outputs: Record<string, unknown>;
    };
    expect(job.status).toBe('failed');
    client.close();
  });

  it('KSampler sends per-step progress with type 4 previews to clients that announced metadata, type 1 to others', async () => {
    const s = await start();
    const modern = await RecordingClient.open(s.url, { clientId: 'modern' });
    const legacy = await RecordingClient.open(s.url, {
      clientId: 'legacy',
      flags: { supports_manager_v4_ui: true },
    });
    await modern.until((t) => t.some((m) => m.type === 'feature_flags'));
    const prompt = structuredClone(txt2img);
    (prompt['3'] as { inputs: Record<string, unknown> }).inputs.steps = 4;
    const idModern = (
      (await postJson(`${s.url}/prompt`, { prompt, client_id: 'modern' })).json as {
        prompt_id: string;
      }
    ).prompt_id;
    await modern.finished(idModern);
    const progress = modern
      .texts()
      .filter((m) => m.type === 'progress')
      .map((m) => m.data.value);
    expect(progress).toEqual([1, 2, 3, 4]);
    const bins = modern.frames
      .filter((f) => f.kind === 'binary')
      .map((f) => (f as { data: Buffer }).data);
    expect(bins).toHaveLength(4);
    expect(bins.every((b) => b.readUInt32BE(0) === 4)).toBe(true);
    const meta = JSON.parse(
      bins[0]!.subarray(8, 8 + bins[0]!.readUInt32BE(4)).toString(),
    ) as Record<string, unknown>;
    expect(meta).toEqual({
      node_id: '3',
      prompt_id: idModern,
      display_node_id: '3',
      parent_node_id: null,
      real_node_id: '3',
      image_type: 'image/jpeg',
    });
    // Order per step: progress_state, binary preview, progress.
    const kinds = modern.frames.map((f) => (f.kind === 'binary' ? 'bin' : f.msg.type));
    const firstBin = kinds.indexOf('bin');
    expect(kinds.slice(firstBin - 1, firstBin + 2)).toEqual(['progress_state', 'bin', 'progress']);
    expect(legacy.frames.filter((f) => f.kind === 'binary')).toHaveLength(0);

    // Another seed: legacy client gets type 1 after each progress.
    (prompt['3'] as { inputs: Record<string, unknown> }).inputs.seed = 99;
    const idLegacy = (
      (await postJson(`${s.url}/prompt`, { prompt, client_id: 'legacy' })).json as {
        prompt_id: string;
      }
    ).prompt_id;
    await legacy.finished(idLegacy);
    const lkinds = legacy.frames.map((f) =>
      f.kind === 'binary' ? `bin${f.data.readUInt32BE(0)}` : f.msg.type,
    );
    expect(lkinds.filter((k) => k === 'bin1')).toHaveLength(4);
    expect(lkinds[lkinds.indexOf('bin1') - 1]).toBe('progress');
    // The second txt2img run continues the output counter.
    const files = (await (await fetch(`${s.url}/api/jobs/${idLegacy}`)).json()) as {
      outputs: Record<string, { images: Array<{ filename: string }> }>;
    };
    expect(files.outputs['9']?.images[0]?.filename).toBe('ComfyUI_00002_.png');
    modern.close();
    legacy.close();
  });

  it('extra_data.preview_method "none" turns previews off', async () => {
    const s = await start();
    const client = await RecordingClient.open(s.url, { clientId: 'nopreview' });
    const prompt = structuredClone(txt2img);
    (prompt['3'] as { inputs: Record<string, unknown> }).inputs.steps = 2;
    const id = (
      (
        await postJson(`${s.url}/prompt`, {
          prompt,
          client_id: 'nopreview',
          extra_data: { preview_method: 'none' },
        })
      ).json as { prompt_id: string }
    ).prompt_id;
    await client.finished(id);
    expect(client.texts().filter((m) => m.type === 'progress')).toHaveLength(2);
    expect(client.frames.filter((f) => f.kind === 'binary')).toHaveLength(0);
    client.close();
  });

  it('without client_id: progress_state is broadcast, targeted messages are not sent', async () => {
    const s = await start();
    const watcher = await RecordingClient.open(s.url, { clientId: 'watcher' });
    const id = (
      (await postJson(`${s.url}/prompt`, { prompt: emptySave })).json as { prompt_id: string }
    ).prompt_id;
    for (let i = 0; i < 400; i++) {
      const h = (await (await fetch(`${s.url}/history/${id}`)).json()) as Record<string, unknown>;
      if (id in h) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await watcher.until((t) => t.filter((m) => m.type === 'status').length >= 4);
    const types = new Set(watcher.texts().map((m) => m.type));
    expect(types.has('progress_state')).toBe(true);
    for (const t of ['execution_start', 'executing', 'executed', 'execution_success'])
      expect(types.has(t)).toBe(false);
    watcher.close();
  });

  it('interrupt without prompt_id stops the running KSampler between steps', async () => {
    const s = await start({ stepMs: 300 });
    const client = await RecordingClient.open(s.url, { clientId: 'int' });
    const prompt = structuredClone(txt2img);
    (prompt['3'] as { inputs: Record<string, unknown> }).inputs.steps = 200;
    const id = (
      (await postJson(`${s.url}/prompt`, { prompt, client_id: 'int' })).json as {
        prompt_id: string;
      }
    ).prompt_id;
    await client.until((t) => t.some((m) => m.type === 'progress'));
    expect((await postJson(`${s.url}/interrupt`, '')).status).toBe(200);
    await client.finished(id);
    const interrupted = client.texts().find((m) => m.type === 'execution_interrupted')?.data;
    expect(interrupted).toMatchObject({ node_id: '3', node_type: 'KSampler' });
    const job = (await (await fetch(`${s.url}/api/jobs/${id}`)).json()) as { status: string };
    expect(job.status).toBe('cancelled');
    client.close();
  });

  it('a client reconnecting with the running sid gets executing {node} (no prompt_id)', async () => {
    const s = await start({ stepMs: 200 });
    const first = await RecordingClient.open(s.url, { clientId: 'again' });
    const prompt = structuredClone(txt2img);
    (prompt['3'] as { inputs: Record<string, unknown> }).inputs.steps = 100;
    const id = (
      (await postJson(`${s.url}/prompt`, { prompt, client_id: 'again' })).json as {
        prompt_id: string;
      }
    ).prompt_id;
    await first.until((t) => t.some((m) => m.type === 'progress'));
    first.close();
    const second = await RecordingClient.open(s.url, { clientId: 'again' });
    await second.until((t) => t.some((m) => m.type === 'executing'));
    expect(second.texts()[1]).toEqual({ type: 'executing', data: { node: '3' } });
    await postJson(`${s.url}/api/jobs/${id}/cancel`, '');
    await second.finished(id);
    second.close();
  });

  it('SaveImage naming: counter continues over any extension, subfolders, %width% substitution, batch', async () => {
    const s = await start();
    const client = await RecordingClient.open(s.url, { clientId: 'names' });
    writeFileSync(`${dir}/output/knob_00007_.webp`, 'x');
    const prompt = structuredClone(emptySave) as Record<
      string,
      { class_type: string; inputs: Record<string, unknown> }
    >;
    prompt['2']!.inputs.filename_prefix = 'sub/dir/knob_%width%x%height%';
    prompt['3'] = {
      class_type: 'SaveImage',
      inputs: { images: ['1', 0], filename_prefix: 'knob' },
    };
    const id = (
      (
        await postJson(`${s.url}/prompt`, {
          prompt,
          client_id: 'names',
          extra_data: { extra_pnginfo: { workflow: { id: 'wf-1', nodes: [] } } },
        })
      ).json as { prompt_id: string }
    ).prompt_id;
    await client.finished(id);
    const outputs = (
      Object.values((await (await fetch(`${s.url}/history/${id}`)).json()) as object)[0] as {
        outputs: Record<string, { images: unknown[] }>;
      }
    ).outputs;
    expect(outputs['3']?.images).toEqual([
      { filename: 'knob_00008_.png', subfolder: '', type: 'output' },
      { filename: 'knob_00009_.png', subfolder: '', type: 'output' },
    ]);
    expect(outputs['2']?.images[0]).toEqual({
      filename: 'knob_16x16_00001_.png',
      subfolder: 'sub/dir',
      type: 'output',
    });
    const png = readFileSync(`${dir}/output/knob_00008_.png`);
    expect(readTextChunks(png).map((t) => t.keyword)).toEqual(['prompt', 'workflow']);
    expect(JSON.parse(readTextChunks(png)[1]!.text)).toEqual({ id: 'wf-1', nodes: [] });
    const jobs = (await (await fetch(`${s.url}/api/jobs?workflow_id=wf-1`)).json()) as {
      jobs: unknown[];
    };
    expect(jobs.jobs).toHaveLength(1);
    client.close();
  });

  it('SaveAnimatedPNG writes an APNG with comf metadata and UI {images, animated:[true]}', async () => {
    const s = await start();
    const client = await RecordingClient.open(s.url, { clientId: 'anim' });
    const prompt = {
      '1': emptySave['1'],
      '2': {
        class_type: 'SaveAnimatedPNG',
        inputs: { images: ['1', 0], filename_prefix: 'anim', fps: 4, compress_level: 4 },
      },
    };
    const id = (
      (await postJson(`${s.url}/prompt`, { prompt, client_id: 'anim' })).json as {
        prompt_id: string;
      }
    ).prompt_id;
    await client.finished(id);
    const executed = client.texts().find((m) => m.type === 'executed')?.data;
    expect(executed?.output).toEqual({
      images: [{ filename: 'anim_00001_.png', subfolder: '', type: 'output' }],
      animated: [true],
    });
    const types = readChunks(readFileSync(`${dir}/output/anim_00001_.png`)).map((c) => c.type);
    expect(types).toContain('acTL');
    expect(types).toContain('comf');
    client.close();
  });
});

describe('files', () => {
  it('upload/image renames on conflict, reuses identical files, and LoadImage lists and loads them', async () => {
    const s = await start();
    const upload = async (bytes: Buffer, extra: Record<string, string> = {}) => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'pic.png');
      for (const [k, v] of Object.entries(extra)) form.append(k, v);
      return (await (
        await fetch(`${s.url}/api/upload/image`, { method: 'POST', body: form })
      ).json()) as Record<string, string>;
    };
    const red = encodePng(solidImage(4, 4, 0xff0000));
    const blue = encodePng(solidImage(4, 4, 0x0000ff));
    expect(await upload(red)).toEqual({ name: 'pic.png', subfolder: '', type: 'input' });
    expect(await upload(red)).toEqual({ name: 'pic.png', subfolder: '', type: 'input' });
    expect(await upload(blue)).toEqual({ name: 'pic (1).png', subfolder: '', type: 'input' });
    expect(await upload(blue, { overwrite: 'true' })).toEqual({
      name: 'pic.png',
      subfolder: '',
      type: 'input',
    });
    const info = (await (await fetch(`${s.url}/object_info/LoadImage`)).json()) as {
      LoadImage: { input: { required: { image: [string[]] } } };
    };
    expect(info.LoadImage.input.required.image[0]).toEqual(['pic (1).png', 'pic.png']);
    expect(
      ((await (await fetch(`${s.url}/internal/files/input`)).json()) as string[]).sort(),
    ).toEqual(['pic (1).png [input]', 'pic.png [input]']);
    const client = await RecordingClient.open(s.url, { clientId: 'load' });
    const prompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'pic.png' } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'loaded' } },
    };
    const id = (
      (await postJson(`${s.url}/prompt`, { prompt, client_id: 'load' })).json as {
        prompt_id: string;
      }
    ).prompt_id;
    await client.finished(id);
    expect(client.texts().some((m) => m.type === 'execution_success')).toBe(true);
    const missing = await postJson(`${s.url}/prompt`, {
      prompt: { ...prompt, '1': { class_type: 'LoadImage', inputs: { image: 'nope.png' } } },
    });
    expect(missing.status).toBe(400);
    client.close();
  });

  it('/view: 404 without filename, 400 on .., 403 on subfolder escape, nosniff, Range 206', async () => {
    const s = await start();
    writeFileSync(`${dir}/output/file.png`, encodePng(solidImage(8, 8, 0x123456)));
    expect((await fetch(`${s.url}/view`)).status).toBe(404);
    expect((await fetch(`${s.url}/view?filename=../x.png`)).status).toBe(400);
    expect((await fetch(`${s.url}/view?filename=file.png&type=bogus`)).status).toBe(400);
    expect((await fetch(`${s.url}/view?filename=file.png&subfolder=../../etc`)).status).toBe(403);
    expect((await fetch(`${s.url}/view?filename=missing.png`)).status).toBe(404);
    const ok = await fetch(`${s.url}/api/view?filename=file.png&type=output&subfolder=`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(ok.headers.get('content-disposition')).toBe('filename="file.png"');
    const full = Buffer.from(await ok.arrayBuffer());
    const part = await fetch(`${s.url}/view?filename=file.png [output]&type=input`, {
      headers: { range: 'bytes=0-7' },
    });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(full.subarray(0, 8));
  });
});
