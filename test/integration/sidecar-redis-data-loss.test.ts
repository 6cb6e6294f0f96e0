/**
 * The relay's Redis loses its data (FLUSHALL on a real redis-server, or a restart of one without
 * persistence under REDIS_VOLATILE_OK=1) while one attendee's job runs
 * on the GPU and another waits: the tab whose page said `comfyume.hello` is told on its banner
 * channel (`comfyume.relay` with `dataLost`), and each tab's job ends as ComfyUI ends a failed job
 * (`execution_error` with a clear exception, then the end marker) instead of waiting forever; the
 * stock tab gets only ComfyUI's messages. /queue and /api/jobs stop showing the lost jobs as
 * running or pending, and the next prompt is queued on the new, empty Redis.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  postRun,
  recordedRunBody,
  startStack,
  TabSocket,
  type Attendee,
  type Stack,
  type StackOptions,
} from '../support/sidecar-stack';
import { eventually } from '../../kit/until';

const body = recordedRunBody;
const HELLO = { type: 'comfyume.hello', data: { extension: 'comfyume' } };
const LOST =
  'This job was lost when the GPU queue restarted without its saved state; queue it again.';

let stack: Stack;
let alice: Attendee;

// A GPU step of a minute: the first job is still running (and the second still waiting) when Redis loses its data.
async function start(options: StackOptions = {}): Promise<void> {
  stack = await startStack({
    gpu: { stepMs: 60_000 },
    ...options,
    relayEnv: { RELAY_HEARTBEAT_MS: '500', ...options.relayEnv },
  });
  alice = await stack.attendee('user001', { SIDECAR_RELAY_HEALTH_MS: '300' });
}
afterEach(async () => {
  await stack?.close();
});

const post = async (prompt: unknown, clientId: string) => {
  const answer = await postRun(alice.url, prompt, clientId);
  expect(answer.status).toBe(200);
  return String(answer.json.prompt_id);
};

const variant = (seed: number) => {
  const prompt = structuredClone(body.prompt) as Record<
    string,
    { inputs: Record<string, unknown> }
  >;
  prompt['1']!.inputs.color = seed;
  return prompt;
};

const getJson = async (path: string) =>
  (await fetch(`${alice.url}${path}`)).json() as Promise<Record<string, unknown>>;

/** One job running and one waiting, `loseData`, then what each tab, /queue and /api/jobs show. */
async function lostUnderJobs(loseData: () => Promise<void>): Promise<void> {
  const extensionTab = await TabSocket.open(alice.url);
  extensionTab.ws.send(JSON.stringify(HELLO));
  await extensionTab.until(() => extensionTab.texts().some((m) => m.type === 'comfyume.relay'));
  const stockTab = await TabSocket.open(alice.url);

  const running = await post(variant(101), extensionTab.sid);
  await extensionTab.until(() =>
    extensionTab.texts().some((m) => m.type === 'execution_start' && m.data.prompt_id === running),
  );
  const waiting = await post(variant(102), stockTab.sid);
  await eventually(
    async () => {
      const queue = (await getJson('/api/queue')) as {
        queue_running: unknown[][];
        queue_pending: unknown[][];
      };
      return (
        queue.queue_running.some((item) => item[1] === running) &&
        queue.queue_pending.some((item) => item[1] === waiting)
      );
    },
    20_000,
    'both jobs on /queue before the loss',
  );
  expect(
    extensionTab
      .texts()
      .filter((m) => m.type === 'comfyume.relay')
      .every((m) => m.data.dataLost === undefined),
  ).toBe(true);

  await loseData();

  // The banner channel: the relay's report in the attendee's words.
  await extensionTab.until(
    () =>
      extensionTab
        .texts()
        .some((m) => m.type === 'comfyume.relay' && m.data.dataLost !== undefined),
    30_000,
  );
  const report = extensionTab
    .texts()
    .find((m) => m.type === 'comfyume.relay' && m.data.dataLost !== undefined)!;
  expect(report.data).toMatchObject({
    connected: true,
    dataLost: {
      detectedAt: expect.any(Number),
      message: expect.stringMatching(
        /^The GPU queue restarted without its saved state: jobs queued before then were lost\. Press Queue Prompt again/,
      ),
    },
  });

  // Each tab's job ends as a failed ComfyUI job.
  await extensionTab.untilEnd(running, 30_000);
  await stockTab.untilEnd(waiting, 30_000);
  for (const [tab, id] of [
    [extensionTab, running],
    [stockTab, waiting],
  ] as const) {
    const error = tab.texts().find((m) => m.type === 'execution_error' && m.data.prompt_id === id);
    expect(error?.data).toMatchObject({
      node_id: '',
      exception_type: 'RuntimeError',
      exception_message: LOST,
    });
    const types = tab
      .texts()
      .filter((m) => m.data?.prompt_id === id)
      .map((m) => m.type);
    expect(types.indexOf('execution_error')).toBeLessThan(types.lastIndexOf('executing'));
  }
  expect(stockTab.texts().some((m) => m.type.startsWith('comfyume.'))).toBe(false);
  expect(
    extensionTab
      .texts()
      .some((m) => m.type === 'comfyume.job' && m.data.id === running && m.data.state === 'failed'),
  ).toBe(true);

  // Neither /queue nor /api/jobs shows them as running or pending any more.
  const queue = (await getJson('/api/queue')) as {
    queue_running: unknown[][];
    queue_pending: unknown[][];
  };
  expect([...queue.queue_running, ...queue.queue_pending].map((item) => item[1])).not.toContain(
    running,
  );
  expect([...queue.queue_running, ...queue.queue_pending].map((item) => item[1])).not.toContain(
    waiting,
  );
  const jobs = (await getJson('/api/jobs')) as { jobs: { id: string; status: string }[] };
  for (const job of jobs.jobs.filter((j) => j.id === running || j.id === waiting))
    expect(['pending', 'in_progress']).not.toContain(job.status);
  expect((await getJson('/api/queue')).queue_running).toEqual([]);

  // The next prompt is queued on the new, empty Redis.
  const next = await post(variant(103), extensionTab.sid);
  await eventually(
    async () => {
      const queue = (await getJson('/api/queue')) as {
        queue_running: unknown[][];
        queue_pending: unknown[][];
      };
      return [...queue.queue_running, ...queue.queue_pending].some((item) => item[1] === next);
    },
    20_000,
    'the next prompt on /queue',
  );
  expect(
    extensionTab.texts().some((m) => m.type === 'execution_error' && m.data.prompt_id === next),
  ).toBe(false);

  // A tab that says hello later still sees the report.
  const later = await TabSocket.open(alice.url);
  later.ws.send(JSON.stringify(HELLO));
  await later.until(() =>
    later.texts().some((m) => m.type === 'comfyume.relay' && m.data.dataLost !== undefined),
  );
  for (const tab of [extensionTab, stockTab, later]) tab.close();
}

describe('Redis loses its data under running and waiting jobs', () => {
  it('FLUSHALL: tells the extension tab, ends each lost job with an execution_error, and the stock tab gets only ComfyUI messages', async () => {
    await start();
    await lostUnderJobs(async () => {
      const admin = new Redis(stack.redis.url);
      try {
        await admin.flushall();
      } finally {
        admin.disconnect();
      }
    });
  });

  it('a restart of a Redis without persistence (REDIS_VOLATILE_OK=1): the same, though the relay reconnects to an empty Redis', async () => {
    await start({ redis: { persistence: false }, relayEnv: { REDIS_VOLATILE_OK: '1' } });
    await lostUnderJobs(() => stack.redis.restart());
  });
});
