/**
 * Numbers and ids as the stock frontend needs them. Queue numbers of remote jobs continue the
 * attendee's own ComfyUI (read before numbering, persisted over a sidecar restart), so frontend 1.35's
 * history reconciliation — mirrored here from its source — shows every remote job after the local
 * ones; a forged `number` is echoed but hides nothing. A client-chosen prompt_id is this user's name
 * for the job only: one that another user's job has answers exactly like an unused one, and a 0.8
 * ComfyUI's verbatim non-UUID ids work end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TabSocket, type Attendee, type Stack } from '../support/sidecar-stack';
import { eventually } from '../../kit/until';

type TaskItem = { prompt: [number, string, ...unknown[]] };

/**
 * Frontend 1.35.9 `reconcileHistoryV1` (src/platform/remote/comfyui/history/reconciliation.ts) as
 * `queueStore.update()` calls it: only server items numbered above the highest number already shown
 * are added; shown items stay while the server still has them; newest first, at most `maxItems`.
 */
function reconcileHistoryV1(
  server: TaskItem[],
  client: TaskItem[],
  maxItems: number,
  lastKnown: number | undefined,
): TaskItem[] {
  const sorted = [...server].sort((a, b) => b.prompt[0] - a.prompt[0]);
  const serverIds = new Set(sorted.map((item) => item.prompt[1]));
  const added =
    lastKnown === undefined ? sorted : sorted.filter((item) => item.prompt[0] > lastKnown);
  const kept = client.filter((item) => serverIds.has(item.prompt[1]));
  return [...added, ...kept].sort((a, b) => b.prompt[0] - a.prompt[0]).slice(0, maxItems);
}

/** The Job Queue panel of frontend 1.35: `/history?max_items=64` reconciled on every update. */
class QueuePanel135 {
  history: TaskItem[] = [];
  constructor(public url: string) {}
  async update(): Promise<string[]> {
    const server = Object.values(
      (await (await fetch(`${this.url}/api/history?max_items=64`)).json()) as Record<
        string,
        TaskItem
      >,
    );
    const lastKnown = this.history.length ? this.history[0]!.prompt[0] : -1;
    this.history = reconcileHistoryV1(server, this.history, 64, lastKnown);
    return this.history.map((item) => item.prompt[1]);
  }
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const prompt = (color: number, prefix = 'numbers') => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});

async function post(url: string, body: Record<string, unknown>) {
  const res = await fetch(`${url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: JSON.parse(text) as { prompt_id: string; number: number; error?: unknown },
  };
}

/** A prompt run by the attendee's own ComfyUI, behind the sidecar's back; resolves when in its history. */
async function runLocally(a: Attendee, color: number): Promise<string> {
  const { json } = await post(a.local.url, {
    prompt: prompt(color, 'local'),
    client_id: 'local-script',
  });
  await eventually(
    async () =>
      Object.keys(
        (await (await fetch(`${a.local.url}/history/${json.prompt_id}`)).json()) as object,
      ).length > 0,
    30_000,
    'local run',
  );
  return json.prompt_id;
}

describe('queue numbers continue the attendee ComfyUI', () => {
  it('every remote job shows in frontend 1.35 after local ones; the counter survives a restart; a forged number hides nothing', async () => {
    const alice = await stack.attendee('user001');
    const tab = await TabSocket.open(alice.url);
    const panel = new QueuePanel135(alice.url);
    const local = [await runLocally(alice, 1), await runLocally(alice, 2)];
    expect(await panel.update()).toEqual([...local].reverse());

    const remote = await post(alice.url, { prompt: prompt(3), client_id: tab.sid });
    expect(remote.json.number).toBe(2); // the local ComfyUI used 0 and 1
    await tab.untilEnd(remote.json.prompt_id);
    expect(await panel.update()).toEqual([remote.json.prompt_id, ...[...local].reverse()]);

    // A forged number is echoed as ComfyUI does, but neither hides this job nor the next one.
    const forged = await post(alice.url, { prompt: prompt(4), client_id: tab.sid, number: 1e9 });
    expect(forged.text).toContain('"number": 1000000000.0');
    await tab.untilEnd(forged.json.prompt_id);
    const next = await post(alice.url, { prompt: prompt(5), client_id: tab.sid });
    await tab.untilEnd(next.json.prompt_id);
    expect((await panel.update()).slice(0, 3)).toEqual([
      next.json.prompt_id,
      forged.json.prompt_id,
      remote.json.prompt_id,
    ]);
    tab.close();

    // The same sidecar state with a fresh local ComfyUI (its counter back at 0): numbering continues.
    await alice.close();
    const again = await stack.attendee('user001', { SIDECAR_STATE_DIR: alice.dirs.state });
    panel.url = again.url; // the page reconnects to the restarted sidecar and keeps what it shows
    const tab2 = await TabSocket.open(again.url);
    const after = await post(again.url, { prompt: prompt(6), client_id: tab2.sid });
    expect(after.json.number).toBeGreaterThan(next.json.number);
    await tab2.untilEnd(after.json.prompt_id);
    expect((await panel.update())[0]).toBe(after.json.prompt_id);
    tab2.close();
  });

  it('a local prompt run after remote ones moves the next remote number above it', async () => {
    const bob = await stack.attendee('user002');
    const tab = await TabSocket.open(bob.url);
    const first = await post(bob.url, { prompt: prompt(7), client_id: tab.sid });
    await tab.untilEnd(first.json.prompt_id);
    for (let i = 0; i < 3; i++) await runLocally(bob, 10 + i); // local numbers 0..2, some above ours
    const second = await post(bob.url, { prompt: prompt(8), client_id: tab.sid });
    expect(second.json.number).toBeGreaterThan(2);
    await tab.untilEnd(second.json.prompt_id);
    tab.close();
  });
});

describe('client-chosen prompt ids', () => {
  it("another user's id answers like an unused one, and both jobs run for their own user only", async () => {
    const carol = await stack.attendee('user003');
    const dave = await stack.attendee('user004');
    const [tc, td] = [await TabSocket.open(carol.url), await TabSocket.open(dave.url)];
    const shared = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    const a = await post(carol.url, { prompt: prompt(20), client_id: tc.sid, prompt_id: shared });
    const unused = await post(dave.url, {
      prompt: prompt(21),
      client_id: td.sid,
      prompt_id: 'ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    });
    const b = await post(dave.url, { prompt: prompt(22), client_id: td.sid, prompt_id: shared });
    for (const r of [a, unused, b]) expect(r.status, r.text).toBe(200);
    expect(a.json.prompt_id).toBe(shared);
    expect(b.json.prompt_id).toBe(shared);
    expect(Object.keys(b.json).sort()).toEqual(Object.keys(unused.json).sort());
    await tc.untilEnd(shared);
    await td.untilEnd(shared);
    for (const tab of [tc, td]) {
      const frames = tab.texts().filter((m) => m.data.prompt_id === shared);
      expect(frames.some((m) => m.type === 'execution_success')).toBe(true);
      expect(frames.every((m) => m.type !== 'execution_error')).toBe(true);
    }
    // Each sees their own job under that id; the inner job ids never show.
    const carolHistory = (await (await fetch(`${carol.url}/history/${shared}`)).json()) as Record<
      string,
      { prompt: [number, string, Record<string, { inputs: { color?: number } }>] }
    >;
    const daveHistory = (await (
      await fetch(`${dave.url}/history/${shared}`)
    ).json()) as typeof carolHistory;
    expect(carolHistory[shared]?.prompt[1]).toBe(shared);
    expect(carolHistory[shared]?.prompt[2]['1']?.inputs.color).toBe(20);
    expect(daveHistory[shared]?.prompt[2]['1']?.inputs.color).toBe(22);
    const daveJobs = (await (await fetch(`${dave.url}/api/jobs?limit=64`)).json()) as {
      jobs: { id: string }[];
    };
    expect(daveJobs.jobs.map((j) => j.id).sort()).toEqual(
      [shared, 'ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee'].sort(),
    );
    tc.close();
    td.close();
  });

  it('a 0.8 ComfyUI takes any prompt_id verbatim: answers, messages, history and jobs use it', async () => {
    const olga = await stack.attendee('user005', {}, { version: '0.8.0' });
    const tab = await TabSocket.open(olga.url);
    await eventually(
      async () =>
        (await post(olga.url, { prompt: prompt(30), client_id: tab.sid, prompt_id: 'my-job-1' }))
          .json.prompt_id === 'my-job-1' || undefined,
      30_000,
      'the 0.8 version detected',
    );
    await tab.untilEnd('my-job-1');
    expect(
      tab.texts().some((m) => m.type === 'execution_success' && m.data.prompt_id === 'my-job-1'),
    ).toBe(true);
    expect(
      Object.keys((await (await fetch(`${olga.url}/history/my-job-1`)).json()) as object),
    ).toEqual(['my-job-1']);
    expect(
      ((await (await fetch(`${olga.url}/api/jobs/my-job-1`)).json()) as { status: string }).status,
    ).toBe('completed');
    tab.close();
  });
});
