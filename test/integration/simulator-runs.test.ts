/**
 * Fidelity of the simulator against the real ComfyUI 0.27 API recordings, replayed in the recorded order
 * (so queue numbers, counters, caches and history match): run1, run2, run2b (cached), run5, run3 (error),
 * run4 (interrupt with pending jobs from another client), then the jobs API calls.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import { decodePng, readTextChunks } from '../../simulator/src/images/png';
import { contentSet, IdMap, scrub, types } from '../../simulator/testing/compare';
import {
  postJson,
  readExchange,
  readJson,
  RecordingClient,
  recordedFrames,
  REAL_027,
  type Exchange,
} from '../../simulator/testing/recorded';

const API = path.join(REAL_027, 'api');
const ids = new IdMap();
let sim: RunningSimulator;
let dir: string;
let checked = 0;

/** Replays a recorded exchange (ids mapped to ours) and returns [recorded, ours] scrubbed. */
async function replay(file: string): Promise<[unknown, unknown, number, number]> {
  const ex: Exchange = readExchange(path.join(API, file));
  const url = sim.url + ids.text(ex.request.path);
  const init: RequestInit = { method: ex.request.method };
  if (ex.request.body !== undefined) init.body = ids.text(JSON.stringify(ex.request.body));
  const res = await fetch(url, init);
  const text = await res.text();
  const ours = text ? (JSON.parse(text) as unknown) : '';
  const recorded =
    ex.response.json !== undefined ? ids.doc(ex.response.json) : (ex.response.text ?? '');
  checked++;
  return [scrub(recorded), scrub(ours), ex.response.status, res.status];
}

/** Jobs ordered by measured durations: the order depends on real timings, so compare as a set. */
const byId = (doc: unknown) => {
  const d = doc as { jobs?: Array<{ id: string }> };
  return d.jobs ? { ...d, jobs: [...d.jobs].sort((a, b) => a.id.localeCompare(b.id)) } : doc;
};

async function expectReplay(file: string): Promise<void> {
  const [recorded, ours, recordedStatus, status] = await replay(file);
  expect(status, file).toBe(recordedStatus);
  if (file.includes('sorted_by_duration')) expect(byId(ours), file).toEqual(byId(recorded));
  else expect(ours, file).toEqual(recorded);
}

function wsText(run: string) {
  return recordedFrames(path.join(API, run, 'ws.jsonl')).flatMap((f) =>
    f.kind === 'text' ? [f.msg] : [],
  );
}

/** Same types in the same order, same content (order-insensitive across output nodes), same final progress_state. */
function expectWsLikeRecording(run: string, client: RecordingClient): void {
  const recorded = ids.doc(wsText(run));
  const ours = client.texts();
  expect(types(ours), run).toEqual(types(recorded));
  expect(contentSet(ours), run).toEqual(contentSet(recorded));
  const lastPs = (ms: typeof ours) =>
    scrub(ms.filter((m) => m.type === 'progress_state').at(-1) ?? null);
  expect(lastPs(ours), run).toEqual(lastPs(recorded));
  checked++;
}

async function runRecorded(
  run: string,
  workflow: string,
): Promise<{ client: RecordingClient; promptId: string }> {
  const summary = readJson<{ client_id: string; prompt_id: string }>(
    path.join(API, run, 'summary.json'),
  );
  const client = await RecordingClient.open(sim.url, { clientId: summary.client_id });
  await client.until((t) => t.some((m) => m.type === 'feature_flags'));
  const prompt = readJson(path.join(API, 'workflows', workflow));
  const res = await postJson(`${sim.url}/prompt`, { prompt, client_id: summary.client_id });
  const recordedPost = readExchange(path.join(API, run, 'post_prompt.json'));
  expect(res.status).toBe(recordedPost.response.status);
  const body = res.json as { prompt_id: string; number: number; node_errors: object };
  ids.set(summary.prompt_id, body.prompt_id);
  expect(scrub(body)).toEqual(scrub(ids.doc(recordedPost.response.json)));
  checked++;
  return { client, promptId: body.prompt_id };
}

async function afterRun(run: string): Promise<void> {
  for (const file of [
    'history.json',
    'job_detail.json',
    'after_jobs_queue.json',
    'after_jobs_history.json',
    'after_queue.json',
  ])
    await expectReplay(`${run}/${file}`);
}

/** Pixels and tEXt chunks of our file equal the recorded /view download. */
function expectSameImage(recordedFile: string, ours: string): void {
  const recorded = readFileSync(path.join(API, recordedFile));
  const mine = readFileSync(ours);
  // Same keywords; same JSON (integral floats such as `1.0` come out as `1`: JSON.parse cannot keep them).
  const chunks = (png: Buffer) =>
    readTextChunks(png).map((t) => [t.keyword, JSON.parse(ids.text(t.text)) as unknown]);
  expect(chunks(mine)).toEqual(chunks(recorded));
  const a = decodePng(recorded).image;
  const b = decodePng(mine).image;
  expect([b.width, b.height]).toEqual([a.width, a.height]);
  expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
  checked++;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sim-runs-'));
  // 1500 ms per slow step: run4's 4-megapixel blur then runs ~6 s, long enough for the pending-job steps.
  sim = await startSimulator({
    outputDir: `${dir}/output`,
    inputDir: `${dir}/input`,
    tempDir: `${dir}/temp`,
    stepMs: 1500,
  });
});

afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`simulator-runs: ${checked} recorded exchanges/streams compared`);
});

describe('simulator vs real ComfyUI 0.27 recordings', () => {
  it('answers the idle GETs and empty jobs lists like a fresh server', async () => {
    for (const file of [
      'get/queue_idle.json',
      'get/history_before.json',
      'get/prompt_get.json',
      'get/embeddings.json',
      'get/models.json',
      'get/features.json',
      'jobs/before_all_default.json',
      'jobs/before_queue.json',
      'jobs/before_history.json',
    ]) {
      await expectReplay(file);
    }
  });

  it('run1: EmptyImage → SaveImage', async () => {
    const { client, promptId } = await runRecorded('run1_empty_save', 'run1_empty_save.api.json');
    await client.finished(promptId);
    expectWsLikeRecording('run1_empty_save', client);
    await afterRun('run1_empty_save');
    expectSameImage(
      'run1_empty_save/view_2_output_realcomfy2_run1_00001_.png',
      `${dir}/output/realcomfy2_run1_00001_.png`,
    );
    client.close();
  });

  it('run2: EmptyImage → ImageInvert → PreviewImage + SaveImage', async () => {
    const { client, promptId } = await runRecorded(
      'run2_invert_preview_save',
      'run2_invert_preview_save.api.json',
    );
    await client.finished(promptId);
    expectWsLikeRecording('run2_invert_preview_save', client);
    await afterRun('run2_invert_preview_save');
    expectSameImage(
      'run2_invert_preview_save/view_4_output_realcomfy2_run2_00001_.png',
      `${dir}/output/realcomfy2_run2_00001_.png`,
    );
    const temp = readdirSync(`${dir}/temp`).find((f) =>
      /^ComfyUI_temp_[a-z]{5}_00001_\.png$/.test(f),
    );
    expect(temp).toBeDefined();
    expectSameImage(
      'run2_invert_preview_save/view_3_temp_ComfyUI_temp_psebs_00001_.png',
      `${dir}/temp/${temp}`,
    );
    client.close();
  });

  it('run2b: the same prompt again is fully cached (executed re-sent from cache, no executing)', async () => {
    const { client, promptId } = await runRecorded(
      'run2b_cached_rerun',
      'run2_invert_preview_save.api.json',
    );
    await client.finished(promptId);
    expectWsLikeRecording('run2b_cached_rerun', client);
    await afterRun('run2b_cached_rerun');
    expect(readdirSync(`${dir}/output`).filter((f) => f.startsWith('realcomfy2_run2_'))).toEqual([
      'realcomfy2_run2_00001_.png',
    ]);
    client.close();
  });

  it('run5: EmptyImage → ImageBlur → Canny → SaveImage', async () => {
    const { client, promptId } = await runRecorded(
      'run5_canny_kornia',
      'run5_canny_kornia.api.json',
    );
    await client.finished(promptId);
    expectWsLikeRecording('run5_canny_kornia', client);
    await afterRun('run5_canny_kornia');
    expectSameImage(
      'run5_canny_kornia/view_4_output_realcomfy2_canny_00001_.png',
      `${dir}/output/realcomfy2_canny_00001_.png`,
    );
    client.close();
  });

  it('run3: SaveImage escaping the output folder fails at run time with ComfyUI’s execution_error', async () => {
    const { client, promptId } = await runRecorded(
      'run3_execution_error',
      'run3_execution_error.api.json',
    );
    await client.finished(promptId);
    expectWsLikeRecording('run3_execution_error', client);
    const error = client.texts().find((m) => m.type === 'execution_error')?.data as Record<
      string,
      unknown
    >;
    expect(String(error.exception_message)).toContain(`output_dir: ${dir}/output`);
    await afterRun('run3_execution_error');
    client.close();
  });

  it('run4: pending jobs from another client, delete, cancel, interrupt', async () => {
    const run = 'run4_interrupted';
    const { client, promptId } = await runRecorded(run, 'run4_slow_blur_chain.api.json');
    await client.until((t) => t.some((m) => m.type === 'executing' && m.data.node === '2'));
    for (const file of [
      'job_detail_while_running.json',
      'running_only_jobs_queue.json',
      'running_only_jobs_history.json',
      'running_only_queue.json',
    ])
      await expectReplay(`${run}/${file}`);
    for (const name of ['a', 'b']) {
      const ex = readExchange(path.join(API, run, `post_prompt_pending_${name}.json`));
      const res = await postJson(`${sim.url}/prompt`, ex.request.body);
      ids.set(
        (ex.response.json as { prompt_id: string }).prompt_id,
        (res.json as { prompt_id: string }).prompt_id,
      );
      expect(scrub(res.json)).toEqual(scrub(ids.doc(ex.response.json)));
    }
    for (const file of [
      'queue_while_running.json',
      'while_running_with_pending_jobs_queue.json',
      'while_running_with_pending_jobs_history.json',
      'while_running_with_pending_queue.json',
      'job_detail_pending.json',
      'jobs_status_pending_only.json',
      'jobs_limit2_sorted.json',
      'post_queue_delete.json',
      'post_jobs_cancel_pending.json',
      'queue_after_delete.json',
      'after_delete_and_cancel_jobs_queue.json',
      'after_delete_and_cancel_jobs_history.json',
      'after_delete_and_cancel_queue.json',
    ]) {
      await expectReplay(`${run}/${file}`);
    }
    // Still inside node 2 (the point of the recording): the interrupt lands on the next node.
    expect(client.texts().some((m) => m.type === 'executing' && m.data.node === '3')).toBe(false);
    await expectReplay(`${run}/post_interrupt.json`);
    await client.finished(promptId);
    expectWsLikeRecording(run, client);
    for (const file of [
      'history.json',
      'job_detail.json',
      'after_jobs_queue.json',
      'after_jobs_history.json',
      'after_queue.json',
      'queue_after_interrupt.json',
      'job_detail_removed_pending_a.json',
      'job_detail_removed_pending_b.json',
    ]) {
      await expectReplay(`${run}/${file}`);
    }
    client.close();
  });

  it('jobs API after all runs: lists, filters, pagination, sorting, errors, cancel no-ops', async () => {
    for (const file of readdirSync(path.join(API, 'jobs')).filter((f) => !f.startsWith('before_')))
      await expectReplay(`jobs/${file}`);
    for (const file of ['get/history_after.json', 'get/queue_final.json']) await expectReplay(file);
  });
});
