/**
 * Sidecar end to end over real sockets: simulated local ComfyUI + sidecar per attendee, a real
 * relay on real Redis in direct mode, a simulated GPU. Replays the real frontend's POST /api/prompt
 * and compares the tab's WebSocket sequence with the recorded one from real ComfyUI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ComfyFeHistoryResponse,
  ComfyFeQueueResponse,
  ComfyJobDetail,
  ComfyJobsListResponse,
} from '../../protocol/src/comfy/http-jobs';
import { startStack, TabSocket, type Attendee, type Stack } from '../support/sidecar-stack';
import { eventually } from '../../kit/until';
import { pngTextChunks } from '../support/png-text';
import {
  jobSegment,
  normalised,
  readJson,
  recordedIncoming,
  signature,
} from '../support/recorded-ws';

type Body = {
  client_id: string;
  prompt: Record<string, unknown>;
  extra_data: Record<string, unknown>;
};
const recorded08 = readJson<{ request: { body: Body } }>('real-0.8.0/frontend/post_prompt_1.json')
  .request.body;
const recorded27 = readJson<{ request: { body: Body } }>('real-0.27.0/frontend/post_prompt_1.json')
  .request.body;

async function postPrompt(a: Attendee, body: unknown, path = '/api/prompt') {
  const response = await fetch(`${a.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'comfy-user': '', origin: a.url },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: (() => {
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    })(),
  };
}

const getJson = async (a: Attendee, path: string) =>
  (await fetch(`${a.url}${path}`)).json() as Promise<Record<string, unknown>>;

/** Types in order with executing:null kept apart (node ids may differ in order between ComfyUI versions). */
const types = (list: { type: string; data: Record<string, unknown> }[]) =>
  signature(list).map((s) => s.replace(/:(?!null).*$/, ''));

let stack: Stack;
let alice: Attendee;

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.attendee('user001');
});
afterAll(async () => {
  await stack?.close();
});

describe('a run queued from the real frontend request', () => {
  for (const [name, body, recording] of [
    ['0.8.0', recorded08, 'real-0.8.0/frontend/ws.jsonl'],
    ['0.27.0', recorded27, 'real-0.27.0/frontend/ws.jsonl'],
  ] as const) {
    it(`${name}: same WS sequence as real ComfyUI, output served by /view with its workflow`, async () => {
      const tab = await TabSocket.open(alice.url); // the real frontend connected without clientId
      expect(tab.sid).toMatch(/^[0-9a-f]{32}$/);
      const handshake = tab.texts().length;
      // Both recordings use the same EmptyImage: bust the GPU's cache so the second run executes too.
      const prompt = structuredClone(body.prompt) as Record<
        string,
        { inputs: Record<string, unknown> }
      >;
      if (name === '0.27.0' && prompt['1'])
        prompt['1'].inputs.color = Number(prompt['1'].inputs.color) + 1;
      const res = await postPrompt(alice, { ...body, prompt, client_id: tab.sid });
      expect(res.status).toBe(200);
      const promptId = String(res.json?.prompt_id);
      expect(promptId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(res.json?.node_errors).toEqual({});
      expect(typeof res.json?.number).toBe('number');
      await tab.untilEnd(promptId);

      const ours = tab
        .texts()
        .slice(handshake)
        .filter((m) => !m.type.startsWith('comfyume.'));
      const real = jobSegment(recordedIncoming(recording));
      expect(types(ours)).toEqual(types(real));
      if (name === '0.8.0') {
        // Same node order as 0.8.0, and every frame equal once ids, times and temp suffixes are normalised.
        expect(ours.map(normalised)).toEqual(real.map(normalised));
      } else {
        // ComfyUI 0.27 happened to run SaveImage (4) before PreviewImage (3); their order is not guaranteed.
        expect(
          signature(ours)
            .filter((s) => /^execut(ing|ed):[34]$/.test(s))
            .sort(),
        ).toEqual(
          signature(real)
            .filter((s) => /^execut(ing|ed):[34]$/.test(s))
            .sort(),
        );
      }
      // every job message carries our prompt id, and nothing after the end marker
      for (const m of ours) if (m.type !== 'status') expect(m.data.prompt_id).toBe(promptId);
      expect(ours.at(-1)).toEqual({ type: 'executing', data: { node: null, prompt_id: promptId } });

      const saved = ours.find((m) => m.type === 'executed' && m.data.node === '4');
      const image = (
        saved?.data.output as { images: { filename: string; subfolder: string; type: string }[] }
      ).images[0];
      expect(image?.type).toBe('output');
      const view = await fetch(
        `${alice.url}/api/view?filename=${encodeURIComponent(image!.filename)}&subfolder=${image!.subfolder}&type=output`,
      );
      expect(view.status).toBe(200);
      const chunks = pngTextChunks(Buffer.from(await view.arrayBuffer()));
      expect(JSON.parse(chunks.workflow ?? '{}')).toEqual(
        (body.extra_data.extra_pnginfo as { workflow: unknown }).workflow,
      );
      expect(chunks.prompt).toBeDefined();
      // Range goes through the proxy to ComfyUI's FileResponse untouched.
      const ranged = await fetch(
        `${alice.url}/view?filename=${encodeURIComponent(image!.filename)}&type=output`,
        { headers: { range: 'bytes=0-7' } },
      );
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).toString('hex')).toBe('89504e470d0a1a0a');

      const history = await getJson(
        alice,
        '/api/jobs?status=completed,failed,cancelled&limit=64&offset=0',
      );
      expect(ComfyJobsListResponse.safeParse(history).success).toBe(true);
      const job = (
        history.jobs as { id: string; status: string; preview_output?: { filename: string } }[]
      ).find((j) => j.id === promptId);
      expect(job?.status).toBe('completed');
      expect(job?.preview_output?.filename).toBe(image?.filename);
      const detail = await getJson(alice, `/api/jobs/${promptId}`);
      expect(ComfyJobDetail.safeParse(detail).success).toBe(true);
      expect(ComfyFeHistoryResponse.safeParse(await getJson(alice, '/history')).success).toBe(true);
      expect(Object.keys(await getJson(alice, `/history/${promptId}`))).toEqual([promptId]);
      expect(ComfyFeQueueResponse.safeParse(await getJson(alice, '/queue')).success).toBe(true);
      tab.close();
    });
  }
});

describe('previews (txt2img on the simulated GPU)', () => {
  const txt2img = readJson<Record<string, { class_type: string; inputs: Record<string, unknown> }>>(
    'api-workflow-txt2img.json',
  );
  const frameType = (b: Buffer) => b.readUInt32BE(0);

  for (const [label, flags, expected] of [
    [
      'type 4 with metadata for a tab that announced supports_preview_metadata',
      { supports_preview_metadata: true },
      4,
    ],
    ['type 1 for a tab that did not', { supports_manager_v4_ui: true }, 1],
  ] as const) {
    it(label, async () => {
      const tab = await TabSocket.open(alice.url, `preview-tab-${expected}`, flags);
      const prompt = structuredClone(txt2img);
      Object.assign(prompt['3']!.inputs, { steps: 4, seed: 1000 + expected });
      Object.assign(prompt['5']!.inputs, { width: 64, height: 64 });
      const res = await postPrompt(alice, { prompt, client_id: `preview-tab-${expected}` });
      expect(res.status).toBe(200);
      const promptId = String(res.json?.prompt_id);
      await tab.untilEnd(promptId);
      const binaries = tab.frames
        .filter((f): f is { binary: Buffer } => 'binary' in f)
        .map((f) => f.binary);
      expect(binaries.length).toBeGreaterThan(0);
      expect(new Set(binaries.map(frameType))).toEqual(new Set([expected]));
      if (expected === 4) {
        const first = binaries[0]!;
        const meta = JSON.parse(first.subarray(8, 8 + first.readUInt32BE(4)).toString()) as Record<
          string,
          unknown
        >;
        expect(meta).toMatchObject({ prompt_id: promptId, node_id: '3', display_node_id: '3' });
      }
      const progress = tab
        .texts()
        .filter((m) => m.type === 'progress' && m.data.prompt_id === promptId);
      expect(progress.map((m) => m.data.value)).toEqual([1, 2, 3, 4]);
      expect(
        tab.texts().some((m) => m.type === 'execution_success' && m.data.prompt_id === promptId),
      ).toBe(true);
      tab.close();
    });
  }
});

describe('idle sockets', () => {
  it('are pinged by the sidecar (ComfyUI itself never pings; nginx would close them)', async () => {
    const dave = await stack.attendee('user004', { SIDECAR_WS_PING_MS: '200' });
    const tab = await TabSocket.open(dave.url);
    let pings = 0;
    tab.ws.on('ping', () => pings++);
    await eventually(() => pings >= 2, 10_000, 'two pings');
    expect(tab.ws.readyState).toBe(tab.ws.OPEN);
    // pings are not status frames: no extra jobs refetch in the browser
    expect(tab.texts().filter((m) => m.type === 'status')).toHaveLength(1);
    tab.close();
  });
});
