/**
 * The simulator against the rest of the recordings: every POST /prompt rejection (0.27 exactly; 0.8.0 where
 * the two versions agree), the 0.8.0 API runs (message order and shapes), and the POST bodies the real
 * frontends (1.35.9 and 1.45.6) sent, with the WS traffic those UIs received.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import { scrub, types } from '../../simulator/testing/compare';
import {
  postJson,
  readExchange,
  readJson,
  RecordingClient,
  recordedFrames,
  REAL_027,
  REAL_08,
  shape,
} from '../../simulator/testing/recorded';

let sim: RunningSimulator;
let dir: string;
let checked = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sim-compat-'));
  sim = await startSimulator({
    outputDir: `${dir}/output`,
    inputDir: `${dir}/input`,
    tempDir: `${dir}/temp`,
    stepMs: 5,
  });
});

afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`simulator-compat: ${checked} recorded files compared`);
});

async function post(exchangeFile: string) {
  const ex = readExchange(exchangeFile);
  const body = ex.request.raw_body ?? JSON.stringify(ex.request.body);
  return { ex, res: await postJson(`${sim.url}${ex.request.path}`, body) };
}

/** 0.8.0 says `invalid_prompt` where 0.27 says `missing_node_type`; the simulator is 0.27. */
const VERSION_SPECIFIC_08 = ['invalid_node_class.json', 'missing_class_type.json'];

describe('POST /prompt rejections', () => {
  it('answers every 0.27 prompt_errors case with the recorded status, content type and body', async () => {
    const dirPath = path.join(REAL_027, 'api/prompt_errors');
    for (const file of readdirSync(dirPath)) {
      const { ex, res } = await post(path.join(dirPath, file));
      expect(res.status, file).toBe(ex.response.status);
      expect(res.contentType, file).toBe(ex.response.content_type);
      if (ex.response.json !== undefined) expect(res.json, file).toEqual(ex.response.json);
      else expect(res.text, file).toBe(ex.response.text);
      checked++;
    }
  });

  it('answers the 0.8.0 cases identically where the versions agree, with the same shape elsewhere', async () => {
    const dirPath = path.join(REAL_08, 'prompt_errors');
    for (const file of readdirSync(dirPath)) {
      const { ex, res } = await post(path.join(dirPath, file));
      expect(res.status, file).toBe(ex.response.status);
      if (VERSION_SPECIFIC_08.includes(file))
        expect(Object.keys(res.json as object), file).toEqual(
          Object.keys(ex.response.json as object),
        );
      else if (ex.response.json !== undefined) expect(res.json, file).toEqual(ex.response.json);
      else expect(res.text, file).toBe(ex.response.text);
      checked++;
    }
  });
});

describe('0.8.0 API runs', () => {
  const runs: Array<[string, string]> = [
    ['run1_empty_save', 'run1_empty_save.api.json'],
    ['run2_invert_preview_save', 'run2_invert_preview_save.api.json'],
    ['run2b_cached_rerun', 'run2_invert_preview_save.api.json'],
    ['run5_canny_kornia', 'run5_canny_kornia.api.json'],
    ['run3_execution_error', 'run3_execution_error.api.json'],
  ];
  it.each(runs)(
    '%s: same message order, message shapes and history shape',
    async (run, workflow) => {
      const client = await RecordingClient.open(sim.url, { clientId: `sim-08-${run}` });
      await client.until((t) => t.some((m) => m.type === 'feature_flags'));
      const res = await postJson(`${sim.url}/prompt`, {
        prompt: readJson(path.join(REAL_08, 'workflows', workflow)),
        client_id: `sim-08-${run}`,
      });
      const recordedPost = readExchange(path.join(REAL_08, run, 'post_prompt.json'));
      expect(shape(res.json)).toEqual(shape(recordedPost.response.json));
      const promptId = (res.json as { prompt_id: string }).prompt_id;
      await client.finished(promptId);
      const recorded = recordedFrames(path.join(REAL_08, run, 'ws.jsonl')).flatMap((f) =>
        f.kind === 'text' ? [f.msg] : [],
      );
      const ours = client.texts();
      expect(types(ours)).toEqual(types(recorded));
      // 0.27 added node_replacements/assets to the feature flags reply; everything else has the same fields.
      const fieldShapes = (ms: typeof ours) =>
        ms.filter((m) => m.type !== 'feature_flags').map((m) => shape(scrub(m)));
      expect(fieldShapes(ours)).toEqual(fieldShapes(recorded));
      const history = await (await fetch(`${sim.url}/history/${promptId}`)).json();
      const recordedHistory = readExchange(path.join(REAL_08, run, 'history.json')).response
        .json as Record<string, unknown>;
      expect(shape(Object.values(history as object)[0])).toEqual(
        shape(Object.values(recordedHistory)[0]),
      );
      checked += 3;
      client.close();
    },
  );
});

describe("the real frontends' POST /api/prompt bodies", () => {
  it.each([REAL_08, REAL_027])(
    '%s/frontend/post_prompt_1.json runs with the message order that UI received',
    async (root) => {
      const recordedPost = readJson<{
        request: { body: Record<string, unknown> };
        response: { body: unknown };
      }>(path.join(root, 'frontend/post_prompt_1.json'));
      // A fresh server, as in the recording (otherwise the other UI's run leaves EmptyImage/ImageInvert cached).
      const fresh = await startSimulator({
        outputDir: `${dir}/fe-output`,
        inputDir: `${dir}/fe-input`,
        tempDir: `${dir}/fe-temp`,
        stepMs: 5,
      });
      // Like the UI: no clientId on first connect, take the sid from the first status frame.
      const client = await RecordingClient.open(fresh.url);
      await client.until((t) => t.some((m) => m.type === 'feature_flags'));
      const sid = client.texts()[0]?.data.sid as string;
      expect(sid).toMatch(/^[0-9a-f]{32}$/);
      const res = await postJson(
        `${fresh.url}/api/prompt`,
        { ...recordedPost.request.body, client_id: sid },
        { 'comfy-user': '' },
      );
      expect(res.status).toBe(200);
      expect(shape(res.json)).toEqual(shape(recordedPost.response.body));
      const promptId = (res.json as { prompt_id: string }).prompt_id;
      await client.finished(promptId);
      const recorded = recordedFrames(path.join(root, 'frontend/ws.jsonl')).flatMap((f) =>
        f.kind === 'text' ? [f.msg] : [],
      );
      expect(types(client.texts())).toEqual(types(recorded));
      // The workflow travels into the PNG as a `workflow` tEXt chunk and into the job detail.
      const detail = (await (await fetch(`${fresh.url}/api/jobs/${promptId}`)).json()) as {
        workflow: { extra_data: { extra_pnginfo: { workflow: unknown } } };
      };
      expect(detail.workflow.extra_data.extra_pnginfo.workflow).toEqual(
        (recordedPost.request.body.extra_data as { extra_pnginfo: { workflow: unknown } })
          .extra_pnginfo.workflow,
      );
      checked += 2;
      client.close();
      await fresh.close();
    },
  );
});
