/**
 * What ComfyUI answers without running anything, answered without a GPU: an identical rerun comes from
 * the previous run's outputs like run2b (the GPU simulator's POST /prompt count proves no GPU slot was
 * taken) while anything changed runs again; the escape prefix is accepted and failed like run3, worded
 * as the attendee's ComfyUI version words it, and never reaches the GPU. History and jobs answers have
 * the recorded shapes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComfyJobsListResponse } from '../../protocol/src/comfy/http-jobs';
import { startStack, TabSocket, type Attendee, type Stack } from '../support/sidecar-stack';
import {
  fixturesDir,
  jobSegment,
  readJson,
  recordedIncoming,
  signature,
} from '../support/recorded-ws';

type Prompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;
type Message = { type: string; data: Record<string, unknown> };

let stack: Stack;
let alice: Attendee; // her ComfyUI is 0.27
let olga: Attendee; // hers is 0.8

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.attendee('user001');
  olga = await stack.attendee('user002', {}, { version: '0.8.0' });
});
afterAll(async () => {
  await stack?.close();
});

/** How many prompts the GPU was sent (ComfyUI's counter counts every parsed POST /prompt). */
const gpuPrompts = () => stack.gpu.replicas[0]!.context.counter.number;

/** Posts a prompt as the UI does and collects what the tab received for it (its messages and the `status` frames). */
async function run(
  a: Attendee,
  tab: TabSocket,
  prompt: Prompt,
): Promise<{ id: string; number: number; messages: Message[] }> {
  const from = tab.texts().length;
  const res = await fetch(`${a.url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, client_id: tab.sid }),
  });
  const body = (await res.json()) as { prompt_id: string; number: number; node_errors: unknown };
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.node_errors).toEqual({});
  await tab.untilEnd(body.prompt_id);
  const messages = tab
    .texts()
    .slice(from)
    .filter((m) => m.data.prompt_id === body.prompt_id || m.type === 'status');
  return { id: body.prompt_id, number: body.number, messages };
}

/** A value's shape: keys (sorted) and types, array lengths kept. */
function skeleton(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(skeleton);
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, skeleton((value as Record<string, unknown>)[k])]),
    );
  return typeof value;
}

/**
 * `small` appears in `big` in order (ours may still lack frames the sequencer adds). Which output
 * node replays first follows a Python set's order, so `executed:<node>` compares as `executed`.
 */
function isSubsequence(small: string[], big: string[]): boolean {
  const plain = (list: string[]) => list.map((s) => s.replace(/^executed:.*/, 'executed'));
  const [a, b] = [plain(small), plain(big)];
  let i = 0;
  for (const item of b) if (item === a[i]) i++;
  return i === a.length;
}

const recordedTail = ['execution_success', 'status', 'executing:null'];

describe('an identical rerun (run2b)', () => {
  const prompt = readJson<{ request: { body: { prompt: Prompt } } }>(
    'real-0.27.0/api/run2b_cached_rerun/post_prompt.json',
  ).request.body.prompt;

  it("a 0.8 attendee: the history entry has 0.8 run2b's shape", async () => {
    const tab = await TabSocket.open(olga.url);
    const old = readJson<{ request: { body: { prompt: Prompt } } }>(
      'real-0.8.0/run2b_cached_rerun/post_prompt.json',
    ).request.body.prompt;
    await run(olga, tab, structuredClone(old));
    const before = gpuPrompts();
    const again = await run(olga, tab, structuredClone(old));
    expect(gpuPrompts()).toBe(before);
    const history = (await (await fetch(`${olga.url}/history/${again.id}`)).json()) as Record<
      string,
      unknown
    >;
    const recorded = readJson<{ response: { json: Record<string, unknown> } }>(
      'real-0.8.0/run2b_cached_rerun/history.json',
    ).response.json;
    expect(skeleton(history[again.id])).toEqual(skeleton(Object.values(recorded)[0]));
    tab.close();
  });

  it('is answered from the previous run, without a GPU slot, as ComfyUI answers it', async () => {
    const tab = await TabSocket.open(alice.url);
    const first = await run(alice, tab, structuredClone(prompt));
    const before = gpuPrompts();
    const again = await run(alice, tab, structuredClone(prompt));
    expect(gpuPrompts()).toBe(before);
    expect(again.number).toBe(first.number + 1);

    const cached = again.messages.find((m) => m.type === 'execution_cached');
    expect(cached?.data.nodes).toEqual(['1', '2', '3', '4']);
    const outputsOf = (ms: Message[]) =>
      Object.fromEntries(
        ms.filter((m) => m.type === 'executed').map((m) => [m.data.node, m.data.output]),
      );
    expect(outputsOf(again.messages)).toEqual(outputsOf(first.messages)); // the same files, replayed
    expect(again.messages.some((m) => m.type === 'executing' && m.data.node !== null)).toBe(false);
    const recorded = signature(
      jobSegment(recordedIncoming('real-0.27.0/api/run2b_cached_rerun/ws.jsonl')),
    );
    const ours = signature(again.messages);
    expect(
      isSubsequence(ours, recorded),
      `${ours.join(' ')}\n  is not in\n${recorded.join(' ')}`,
    ).toBe(true);
    expect(ours.slice(-3)).toEqual(recordedTail);

    const history = (await (await fetch(`${alice.url}/history/${again.id}`)).json()) as Record<
      string,
      {
        prompt: unknown[];
        outputs: unknown;
        status: { messages: [string, Record<string, unknown>][] };
      }
    >;
    const recordedHistory = readJson<{ response: { json: Record<string, unknown> } }>(
      'real-0.27.0/api/run2b_cached_rerun/history.json',
    ).response.json;
    const entry = history[again.id]!;
    expect(skeleton(entry)).toEqual(skeleton(Object.values(recordedHistory)[0]));
    expect(entry.status.messages.map(([type]) => type)).toEqual([
      'execution_start',
      'execution_cached',
      'execution_success',
    ]);
    expect(entry.status.messages[1]![1].nodes).toEqual(['1', '2', '3', '4']);

    const detail = (await (await fetch(`${alice.url}/api/jobs/${again.id}`)).json()) as Record<
      string,
      unknown
    >;
    const recordedDetail = readJson<{ response: { json: Record<string, unknown> } }>(
      'real-0.27.0/api/run2b_cached_rerun/job_detail.json',
    ).response.json;
    expect(skeleton(detail)).toEqual(skeleton(recordedDetail));
    expect(detail).toMatchObject({ status: 'completed', outputs_count: 2, priority: again.number });
    tab.close();
  });

  it('anything changed runs again: a widget value, an input file, outputs no longer in the folder', async () => {
    const tab = await TabSocket.open(alice.url);
    const base = structuredClone(prompt);
    base['4']!.inputs.filename_prefix = 'rerun_checks';
    await run(alice, tab, structuredClone(base));

    let before = gpuPrompts();
    const changed = structuredClone(base);
    changed['1']!.inputs.color = 254;
    await run(alice, tab, changed);
    expect(gpuPrompts()).toBe(before + 1);

    // Identical again, but its outputs were deleted from the attendee's folder: ComfyUI's files are gone too.
    const last = await run(alice, tab, structuredClone(changed));
    const saved = (
      last.messages.find((m) => m.type === 'executed' && m.data.node === '4')?.data.output as {
        images: { filename: string }[];
      }
    ).images[0]!.filename;
    await rm(join(alice.dirs.output, saved));
    before = gpuPrompts();
    await run(alice, tab, structuredClone(changed));
    expect(gpuPrompts()).toBe(before + 1);

    // The same LoadImage name with other bytes (re-uploaded): ComfyUI's IS_CHANGED hash differs.
    const upload = async (bytes: Buffer) => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'again.png');
      form.append('overwrite', 'true');
      expect(
        (await fetch(`${alice.url}/api/upload/image`, { method: 'POST', body: form })).status,
      ).toBe(200);
    };
    const png = readFileSync(
      resolve(fixturesDir, 'real-0.8.0/run1_empty_save/view_2_output_realcomfy_run1_00001_.png'),
    );
    const withInput: Prompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'again.png' } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'from_input' } },
    };
    await upload(png);
    await run(alice, tab, structuredClone(withInput));
    before = gpuPrompts();
    await run(alice, tab, structuredClone(withInput));
    expect(gpuPrompts()).toBe(before); // same bytes: cached
    await upload(Buffer.concat([png, randomBytes(8)]));
    await run(alice, tab, structuredClone(withInput));
    expect(gpuPrompts()).toBe(before + 1);
    tab.close();
  });
});

describe('the escape prefix (run3): accepted, then failed as ComfyUI fails it, never on a GPU', () => {
  for (const [who, generation] of [
    ['alice', 'real-0.27.0/api'],
    ['olga', 'real-0.8.0'],
  ] as const) {
    it(`as ${generation.split('/')[0]} words it`, async () => {
      const a = who === 'alice' ? alice : olga;
      const recordedPost = readJson<{ request: { body: { prompt: Prompt } } }>(
        `${generation}/run3_execution_error/post_prompt.json`,
      ).request.body;
      const tab = await TabSocket.open(a.url);
      const before = gpuPrompts();
      const failed = await run(a, tab, recordedPost.prompt);
      expect(gpuPrompts()).toBe(before);

      const recorded = jobSegment(recordedIncoming(`${generation}/run3_execution_error/ws.jsonl`));
      const ours = signature(failed.messages);
      expect(isSubsequence(ours, signature(recorded)), ours.join(' ')).toBe(true);
      expect(ours.slice(-3)).toEqual(['execution_error', 'status', 'executing:null']);

      // The recorded error, with the recording machine's folders replaced by this attendee's.
      const outDir = a.dirs.output;
      const root = dirname(outDir);
      const localise = (text: string) =>
        text
          .replace('/opt/ComfyUI/output', outDir)
          .replaceAll(': /opt\n', `: ${dirname(root)}\n`)
          .replaceAll('/opt/ComfyUI/', `${root}/`);
      const want = recorded.find((m) => m.type === 'execution_error')!.data;
      const got = failed.messages.find((m) => m.type === 'execution_error')!.data;
      expect(skeleton(got)).toEqual(skeleton(want));
      expect(got).toMatchObject({
        node_id: '2',
        node_type: 'SaveImage',
        executed: ['1'],
        exception_type: 'Exception',
        current_outputs: ['2', '1'],
      });
      expect(got.exception_message).toBe(localise(want.exception_message as string));
      expect(got.traceback).toEqual((want.traceback as string[]).map(localise));

      const history = (await (await fetch(`${a.url}/history/${failed.id}`)).json()) as Record<
        string,
        unknown
      >;
      const recordedHistory = readJson<{ response: { json: Record<string, unknown> } }>(
        `${generation}/run3_execution_error/history.json`,
      ).response.json;
      expect(skeleton(history[failed.id])).toEqual(skeleton(Object.values(recordedHistory)[0]));
      tab.close();
    });
  }

  it('the jobs API answers the failure as run3 (0.27)', async () => {
    const tab = await TabSocket.open(alice.url);
    const prompt = readJson<{ request: { body: { prompt: Prompt } } }>(
      'real-0.27.0/api/run3_execution_error/post_prompt.json',
    ).request.body.prompt;
    prompt['1']!.inputs.color = 3; // another prompt than the test above
    const failed = await run(alice, tab, prompt);
    const detail = (await (await fetch(`${alice.url}/api/jobs/${failed.id}`)).json()) as Record<
      string,
      unknown
    >;
    const recorded = readJson<{ response: { json: Record<string, unknown> } }>(
      'real-0.27.0/api/run3_execution_error/job_detail.json',
    ).response.json;
    expect(skeleton(detail)).toEqual(skeleton(recorded));
    expect(detail).toMatchObject({
      status: 'failed',
      outputs_count: 0,
      execution_error: { node_id: '2', node_type: 'SaveImage' },
    });
    const list = await (
      await fetch(`${alice.url}/api/jobs?status=failed&limit=64&offset=0`)
    ).json();
    expect(ComfyJobsListResponse.safeParse(list).success).toBe(true);
    expect((list as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toContain(failed.id);
    tab.close();
  });
});
