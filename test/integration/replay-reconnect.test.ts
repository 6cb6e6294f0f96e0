/**
 * Reconnect replays (issue 9, item 7): a tab that comes back with the same clientId — after the
 * sidecar was killed with -9 and started again, or after its network silently dropped — receives
 * what it missed of its job, ending in the same terminal messages a live tab saw, and nothing twice
 * that ends a job. Real processes: `comfyume sidecar` as a child, a real relay on real Redis, the
 * simulated GPU; a TCP proxy that can swallow traffic plays the network.
 */
import { createServer, Socket, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { ReplayTab } from '../support/replay';
import { modes, startReplayStack, type ReplayStack } from '../support/replay-stack';
import { until } from '../../kit/until';

/** Three slow nodes (each blur of 4 megapixels takes 5 GPU steps), then a SaveImage. */
const slowPrompt = (prefix: string, color: number) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 1024, height: 1024, batch_size: 4, color } },
  '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 3, sigma: 1.0 } },
  '3': { class_type: 'ImageBlur', inputs: { image: ['2', 0], blur_radius: 3, sigma: 1.0 } },
  '4': {
    class_type: 'ImageScale',
    inputs: {
      image: ['3', 0],
      upscale_method: 'nearest-exact',
      width: 64,
      height: 64,
      crop: 'disabled',
    },
  },
  '5': { class_type: 'SaveImage', inputs: { images: ['4', 0], filename_prefix: prefix } },
});

const FLAGS = {
  type: 'feature_flags',
  data: {
    supports_preview_metadata: true,
    supports_manager_v4_ui: true,
    supports_progress_text_metadata: true,
  },
};

/** Queues the slow prompt; `color` differs per job so the GPU's cache never answers it. */
async function queue(
  stack: ReplayStack,
  clientId: string,
  prefix: string,
  color: number,
): Promise<string> {
  const res = await fetch(`${stack.url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: stack.url },
    body: JSON.stringify({ client_id: clientId, prompt: slowPrompt(prefix, color) }),
  });
  const body = (await res.json()) as { prompt_id?: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return String(body.prompt_id);
}

/** The relay's own record of the job, as the sidecar's token reads it. */
async function relayState(stack: ReplayStack, jobId: string): Promise<string | undefined> {
  const res = await fetch(`${stack.relayUrl}/api/jobs/${jobId}`, {
    headers: { authorization: `Bearer ${stack.token}` },
  });
  return res.ok ? ((await res.json()) as { job: { state: string } }).job.state : undefined;
}

const jobMessages = (tab: ReplayTab, jobId: string) =>
  tab.received.filter((m) => m.data.prompt_id === jobId);

/** What a reopened tab must have of its job: the saved image, the success, then the end marker last. */
async function expectEndDelivered(
  stack: ReplayStack,
  tab: ReplayTab,
  jobId: string,
): Promise<void> {
  await tab.until(() => tab.ended(jobId), `the end of ${jobId}`);
  const mine = jobMessages(tab, jobId);
  const executed = mine.filter((m) => m.type === 'executed' && m.data.node === '5');
  expect(executed.length, 'executed of the SaveImage').toBeGreaterThanOrEqual(1);
  const image = (
    executed.at(-1)?.data.output as {
      images: { filename: string; subfolder: string; type: string }[];
    }
  ).images[0]!;
  expect(mine.filter((m) => m.type === 'execution_success')).toHaveLength(1);
  expect(mine.at(-2)?.type).toBe('execution_success');
  expect(mine.at(-1)).toEqual({ type: 'executing', data: { node: null, prompt_id: jobId } });
  // ComfyUI answers the tab's own feature_flags whenever that frame reaches it, which may be after
  // the replayed end on a busy machine: that reply is the handshake's, not the job's, so it may sit anywhere.
  const last = tab.received
    .slice(
      tab.received.findIndex((m) => m.type === 'execution_success' && m.data.prompt_id === jobId),
    )
    .filter((m) => m.type !== 'feature_flags');
  expect(last.map((m) => m.type)).toEqual(['execution_success', 'status', 'executing']);
  expect(tab.received.filter((m) => m.type === 'feature_flags').length).toBeLessThanOrEqual(1);
  expect(tab.received.some((m) => m.type.startsWith('comfyume.'))).toBe(false); // a stock page
  const view = await fetch(
    `${stack.url}/api/view?filename=${encodeURIComponent(image.filename)}&subfolder=${image.subfolder}&type=${image.type}`,
  );
  expect(view.status).toBe(200);
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('a tab reopened after the sidecar was killed with -9', () => {
  let stack: ReplayStack;
  beforeAll(async () => {
    stack = await startReplayStack(modes.direct, redis, { stepMs: 300, childSidecar: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  for (const [round, when] of [
    [1, 'while node 2 runs'],
    [2, 'while node 3 runs, and the job ends before the sidecar is back'],
  ] as const) {
    it(`round ${round}: killed ${when}; the reopened tab (same clientId) gets the job's end`, async () => {
      const clientId = `reopened-tab-${round}`;
      const tab = await ReplayTab.open(stack.url, clientId, FLAGS);
      const jobId = await queue(stack, clientId, `restart_${round}`, round);
      const node = round === 1 ? '2' : '3';
      await tab.until(
        () => jobMessages(tab, jobId).some((m) => m.type === 'executing' && m.data.node === node),
        `node ${node} running`,
      );
      const closed = new Promise<void>((resolve) => tab.ws.once('close', () => resolve()));
      await stack.sidecarProcess!.kill();
      await closed;
      if (round === 2)
        await until(
          async () => (await relayState(stack, jobId)) === 'done',
          60_000,
          'the relay to finish the job',
          50,
        );
      else expect(await relayState(stack, jobId)).not.toBe('done');
      await stack.sidecarProcess!.start();
      const reopened = await ReplayTab.open(stack.url, clientId, FLAGS);
      await expectEndDelivered(stack, reopened, jobId);
      // Everything before the kill was seen by the first socket; the reopened one starts where it stopped.
      expect(jobMessages(tab, jobId).some((m) => m.type === 'execution_success')).toBe(false);
      reopened.close();
    });
  }
});

/** A TCP hop between tab and sidecar whose connections can go silent: nothing passes, no FIN, no RST. */
class FlakyNetwork {
  private readonly server: Server;
  private readonly links = new Set<{ tab: Socket; sidecar: Socket; silent: boolean }>();
  url = '';

  constructor(private readonly target: URL) {
    this.server = createServer((tab) => {
      const sidecar = new Socket();
      const link = { tab, sidecar, silent: false };
      this.links.add(link);
      sidecar.connect(Number(target.port), target.hostname);
      tab.on('data', (chunk) => link.silent || sidecar.write(chunk));
      sidecar.on('data', (chunk) => link.silent || tab.write(chunk));
      const drop = () => {
        this.links.delete(link);
        tab.destroy();
        sidecar.destroy();
      };
      tab.on('error', drop);
      sidecar.on('error', drop);
      tab.on('close', () => link.silent || drop());
      sidecar.on('close', () => link.silent || drop());
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Every current connection goes silent; the tab's side is then dropped (its browser gives up), the sidecar's is left hanging. */
  cut(): void {
    for (const link of this.links) {
      link.silent = true;
      link.tab.destroy();
    }
  }

  close(): Promise<void> {
    for (const link of this.links) link.sidecar.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('a tab whose network dropped silently', () => {
  let stack: ReplayStack;
  let network: FlakyNetwork;
  beforeAll(async () => {
    // The sidecar's pings would find the dead socket only after a minute: it goes on sending into it.
    stack = await startReplayStack(modes.direct, redis, {
      stepMs: 300,
      sidecarEnv: { SIDECAR_WS_PING_MS: '60000' },
    });
    network = await new FlakyNetwork(new URL(stack.url)).start();
  });
  afterAll(async () => {
    await network?.close();
    await stack?.close();
  });

  it('reconnects with the same clientId and gets what the dead socket swallowed, ending like a live tab', async () => {
    const clientId = 'flaky-tab';
    const tab = await ReplayTab.open(network.url, clientId, FLAGS);
    const jobId = await queue(stack, clientId, 'dropped', 100);
    await tab.until(
      () => jobMessages(tab, jobId).some((m) => m.type === 'executing' && m.data.node === '2'),
      'node 2 running',
    );
    network.cut();
    await until(
      async () => (await relayState(stack, jobId)) === 'done',
      60_000,
      'the relay to finish the job',
      50,
    );
    expect(tab.ended(jobId)).toBe(false);
    const reopened = await ReplayTab.open(network.url, clientId, FLAGS);
    await expectEndDelivered(stack, reopened, jobId);
    reopened.close();
  });
});
