/**
 * Extras only on request (issue 9, item 2) and bad input: our `comfyume.*` messages go only to a
 * socket whose page said `comfyume.hello`; that frame never reaches ComfyUI; junk that looks like a
 * hello leaves the socket stock; a tab of another user never gets this user's job, whatever
 * clientId it claims. Real sidecar, relay, Redis and simulated GPU on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { ReplayTab } from '../support/replay';
import { modes, startReplayStack, type ReplayStack } from '../support/replay-stack';

const FLAGS = {
  type: 'feature_flags',
  data: { supports_preview_metadata: true, supports_manager_v4_ui: true },
};
const HELLO = { type: 'comfyume.hello', data: { extension: 'comfyume' } };

/** EmptyImage → ImageBlur (slow: 4 megapixels) → SaveImage; `color` keeps the GPU's cache out. */
const prompt = (color: number) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 1024, height: 1024, batch_size: 4, color } },
  '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 1, sigma: 1.0 } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: `hello_${color}` } },
});

async function queue(url: string, clientId: string, color: number): Promise<string> {
  const res = await fetch(`${url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ client_id: clientId, prompt: prompt(color) }),
  });
  expect(res.status).toBe(200);
  return String(((await res.json()) as { prompt_id: string }).prompt_id);
}

const ours = (tab: ReplayTab) => tab.received.filter((m) => m.type.startsWith('comfyume.'));

let redis: TestRedis;
let stack: ReplayStack;
beforeAll(async () => {
  redis = await startRedis();
  stack = await startReplayStack(modes.direct, redis, { stepMs: 100 });
});
afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

describe('comfyume.* messages only on request', () => {
  it('a page that says hello gets the relay state and its active jobs at once, then every job change; a stock page beside it gets none', async () => {
    const stock = await ReplayTab.open(stack.url, 'stock-tab', FLAGS);
    const running = await queue(stack.url, 'stock-tab', 1);
    await stock.until(
      () =>
        stock.received.some((m) => m.type === 'execution_start' && m.data.prompt_id === running),
      'the job to start',
    );

    const ext = await ReplayTab.open(stack.url, 'extension-tab', FLAGS);
    ext.ws.send(JSON.stringify(HELLO));
    await ext.until(
      () => ours(ext).some((m) => m.type === 'comfyume.job' && m.data.id === running),
      'the snapshot of the running job',
    );
    expect(ours(ext)[0]).toEqual({ type: 'comfyume.relay', data: { connected: true } });

    await stock.until(() => stock.ended(running), 'the end of the job');
    await ext.until(
      () =>
        ours(ext).some(
          (m) => m.type === 'comfyume.job' && m.data.id === running && m.data.state === 'done',
        ),
      'the done snapshot',
    );
    expect(ours(stock)).toEqual([]);
    // The extension page is not the tab that queued it: ComfyUI's own messages of the job are not its.
    expect(ext.received.some((m) => m.data.prompt_id === running)).toBe(false);
    stock.close();
    ext.close();
  });

  it('a hello sent before the feature_flags is not forwarded: ComfyUI still takes the page flags', async () => {
    const tab = await ReplayTab.open(stack.url, 'hello-first', HELLO);
    tab.ws.send(JSON.stringify(FLAGS));
    await tab.until(() => ours(tab).length > 0, 'the hello reply');
    const hub = stack.local.replicas[0]!.context.hub;
    await expect.poll(() => hub.supports('hello-first', 'supports_preview_metadata')).toBe(true);
    tab.close();
  });

  it('junk that names our type leaves the socket stock, is not forwarded, and the socket keeps working', async () => {
    const junk = [
      JSON.stringify({ type: 'comfyume.hello', data: { extension: 'x'.repeat(65) } }),
      JSON.stringify({ type: 'comfyume.hello' }),
      JSON.stringify({
        type: 'comfyume.hello',
        data: { extension: 'comfyume', pad: 'y'.repeat(10_000) },
      }),
      '{"type":"comfyume.hello", not json',
      JSON.stringify({ type: 'comfyume.anything', data: {} }),
    ];
    const tab = await ReplayTab.open(stack.url, 'junk-tab', {
      type: 'comfyume.hello',
      data: { extension: 42 },
    } as never);
    for (const frame of junk) tab.ws.send(frame);
    tab.ws.send(JSON.stringify(FLAGS));
    const job = await queue(stack.url, 'junk-tab', 2);
    await tab.until(() => tab.ended(job), 'the end of the job');
    expect(ours(tab)).toEqual([]);
    expect(
      tab.received.some((m) => m.type === 'execution_success' && m.data.prompt_id === job),
    ).toBe(true);
    // The junk was not the first frame ComfyUI saw: the page's flags were.
    expect(
      stack.local.replicas[0]!.context.hub.supports('junk-tab', 'supports_preview_metadata'),
    ).toBe(true);
    tab.close();
  });
});

describe("another user's tab", () => {
  it("claiming the clientId of this user's tab gets nothing of this user's job", async () => {
    const bob = await stack.attendee('user002');
    const alice = await ReplayTab.open(stack.url, 'shared-looking-id', FLAGS);
    const intruder = await ReplayTab.open(bob.url, 'shared-looking-id', FLAGS);
    intruder.ws.send(JSON.stringify(HELLO));
    const job = await queue(stack.url, 'shared-looking-id', 3);
    await alice.until(() => alice.ended(job), 'the end of alice’s job');
    // Bob's sidecar has no such job: nothing of it, not even a snapshot, and bob's queue count is untouched.
    await intruder.until(
      () => ours(intruder).some((m) => m.type === 'comfyume.relay'),
      'bob’s hello reply',
    );
    expect(intruder.received.some((m) => JSON.stringify(m).includes(job))).toBe(false);
    expect(
      intruder.received
        .filter((m) => m.type === 'status')
        .every((m) => JSON.stringify(m.data).includes('"queue_remaining":0')),
    ).toBe(true);
    alice.close();
    intruder.close();
  });
});
