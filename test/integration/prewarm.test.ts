/**
 * Warm GPUs on the agenda (PREWARM_SCHEDULE): a serverless GPU that scales to zero after an idle
 * spell (the simulator's scale-down and cold-start knobs) is kept warm by the relay's warm-up
 * prompts inside the schedule, so the attendee's first job after a pause starts without a cold
 * start; without a schedule the same pause ends in one. Through a real relay and sidecar.
 * Waits are on states (the prewarmer's prompt count, the gate's scaled-down state), never sleeps;
 * the start delays are measured and printed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startStack, TabSocket, type Stack } from '../support/sidecar-stack';
import { eventually, until } from '../../kit/until';
import { mintUserToken } from '../../kit/user-token';
import { PrewarmStatus } from '../../protocol/src/relay/prewarm';

const COLD_START_MS = 2_500;
const SCALE_DOWN_MS = 3_500; // the provider's scale-down delay; PREWARM_INTERVAL_S=1 is under it

const invert = {
  '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 1, color: 99 } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { filename_prefix: 'warm', images: ['2', 0] } },
};

/** HH:MM of a moment `offsetMin` from now, local time (the schedule's clock). */
function clock(offsetMin: number): string {
  const d = new Date(Date.now() + offsetMin * 60_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function coldServerlessStack(relayEnv: Record<string, string>) {
  stack = await startStack({
    serverless: true,
    gpu: { coldStartMs: COLD_START_MS, scaleDownMs: SCALE_DOWN_MS },
    relayEnv: { COLD_START_BUDGET_S: '60', PREWARM_INTERVAL_S: '1', ...relayEnv },
  });
  return stack;
}

async function prewarmStatus(s: Stack, token = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${s.relayUrl}/api/admin/prewarm`, {
    headers: { authorization: `Bearer ${token}` },
  });
}
const status = async (s: Stack) => PrewarmStatus.parse(await (await prewarmStatus(s)).json());

/** Queues `invert` from a fresh tab; resolves with the tab's states and the ms until it started. */
async function firstJob(s: Stack) {
  const alice = await s.attendee('user001');
  const tab = await TabSocket.open(alice.url);
  tab.ws.send(JSON.stringify({ type: 'comfyume.hello', data: { extension: 'comfyume' } }));
  await tab.until(() => tab.texts().some((m) => m.type === 'comfyume.relay'));
  return { alice, tab };
}

async function queueAndTime(s: Stack, tab: TabSocket, url: string) {
  const queuedAt = Date.now();
  const response = await fetch(`${url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: tab.sid, prompt: invert, extra_data: {} }),
  });
  expect(response.status).toBe(200);
  const id = ((await response.json()) as { prompt_id: string }).prompt_id;
  await tab.until(() =>
    tab.texts().some((m) => m.type === 'execution_start' && m.data.prompt_id === id),
  );
  const startDelayMs = Date.now() - queuedAt;
  await tab.untilEnd(id);
  const states = tab
    .texts()
    .filter((m) => m.type === 'comfyume.job' && m.data.id === id)
    .map((m) => String(m.data.state));
  return { id, startDelayMs, states };
}

describe('PREWARM_SCHEDULE keeps a serverless GPU warm', () => {
  it('inside the schedule, the first job after a pause longer than the scale-down delay meets no cold start', async () => {
    const s = await coldServerlessStack({ PREWARM_SCHEDULE: `${clock(-60)}-${clock(60)}` });
    // The GPU starts cold: the first warm-up prompt waits it out and measures it.
    const warmed = await eventually(
      async () => {
        const st = await status(s);
        return st.gpu === 'warm' && st.lastColdStart ? st : undefined;
      },
      30_000,
      'the first warm-up to get through the cold start',
    );
    expect(warmed.enabled).toBe(true);
    expect(warmed.inSchedule).toBe(true);
    expect(warmed.lastColdStart?.ms).toBeGreaterThan(0);
    const { alice, tab } = await firstJob(s);
    // A pause with no attendee job, longer than the scale-down delay: warm-ups alone keep it up.
    const before = (await status(s)).prompts;
    await eventually(
      async () => (await status(s)).prompts >= before + 4,
      30_000,
      'four more warm-up prompts',
    );
    expect(s.gpu.gate.coldStarts).toBe(1); // only the one at start

    const job = await queueAndTime(s, tab, alice.url);
    console.log(`prewarmed: first job after the pause started in ${job.startDelayMs} ms`);
    expect(job.states).not.toContain('warming_up');
    expect(s.gpu.gate.coldStarts).toBe(1);
    expect(job.startDelayMs).toBeLessThan(COLD_START_MS);

    const metrics = await (
      await fetch(`${s.relayUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text();
    const sent = (outcome: string) =>
      Number(
        new RegExp(`comfyume_prewarm_prompts_total\\{outcome="${outcome}"[^}]*\\} (\\d+)`).exec(
          metrics,
        )?.[1] ?? -1,
      );
    expect(sent('cold')).toBe(1);
    expect(sent('warm')).toBeGreaterThanOrEqual(4);
  });

  it('without a schedule the same pause ends in a cold start; Warm now warms it at once', async () => {
    const s = await coldServerlessStack({});
    const { alice, tab } = await firstJob(s);
    await until(() => s.gpu.gate.warm, 30_000, 'the first cold start to pass');
    await until(() => s.gpu.gate.scaledDown, 30_000, 'the idle GPU to scale down');
    const coldStarts = s.gpu.gate.coldStarts;
    const job = await queueAndTime(s, tab, alice.url);
    console.log(`not prewarmed: first job after the pause started in ${job.startDelayMs} ms`);
    expect(job.states).toContain('warming_up');
    expect(s.gpu.gate.coldStarts).toBe(coldStarts + 1);
    expect(job.startDelayMs).toBeGreaterThanOrEqual(COLD_START_MS - 500);
    expect((await status(s)).prompts).toBe(0);

    // Warm now: an attendee may not; the operator's press sends a warm-up at once.
    const asAttendee = await fetch(`${s.relayUrl}/api/admin/prewarm/warm-now`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${mintUserToken('test-relay-secret-0123456789', 'user001')}`,
      },
    });
    expect(asAttendee.status).toBe(403);
    expect(((await asAttendee.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(
      (await prewarmStatus(s, mintUserToken('test-relay-secret-0123456789', 'user001'))).status,
    ).toBe(403);
    const pressed = await fetch(`${s.relayUrl}/api/admin/prewarm/warm-now`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(pressed.status).toBe(200);
    const after = PrewarmStatus.parse(await pressed.json());
    expect(after.warmNowUntil).toBeGreaterThan(Date.now());
    await eventually(async () => (await status(s)).gpu === 'warm', 30_000, 'Warm now to warm it');
  });
});
