/**
 * The sidecar's cancels cost one relay call per job: its job control (sidecar/src/http/job-control.ts)
 * with its real relay client, against a real relay on 127.0.0.1 whose HTTP server counts every
 * request. A queue delete leaves a running job alone (the relay's `onlyIf`), a second cancel of the
 * same job answers false, and someone else's id is reported as not ours without being touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { until } from '../../kit/until';
import { createJobControl, type JobControl } from '../../sidecar/src/http/job-control';
import {
  createRelayClient,
  type RelayClient as SidecarRelay,
} from '../../sidecar/src/relay/relay-client';
import { GateBackend } from './relay-gate-backend';
import { RelayClient, startHarness, userToken, type Harness } from './relay-harness';

const prompt = (tag: string) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: tag } },
});

let redis: TestRedis;
let harness: Harness;
let gpu: GateBackend;
let relay: SidecarRelay;
let control: JobControl;
/** Every request the relay's HTTP server received, as `METHOD /path?query`. */
const calls: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  gpu = new GateBackend('gate', 1);
  harness = await startHarness(redis, { backends: gpu.asSet() });
  harness.relay.server.on('request', (req) => calls.push(`${req.method} ${req.url}`));
  relay = createRelayClient({ url: harness.url, token: userToken('alice'), timeoutMs: 5_000 });
  control = createJobControl(relay, () => undefined);
});
afterAll(async () => {
  await relay?.close();
  await harness?.close();
  await redis?.stop();
});

/** The relay calls `action` makes. */
async function counted<T>(action: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  calls.length = 0;
  const result = await action();
  return { result, calls: [...calls] };
}

describe('sidecar cancel', () => {
  it('makes exactly one relay call per cancelled job', async () => {
    const alice = new RelayClient(harness.url, userToken('alice'));
    const bob = new RelayClient(harness.url, userToken('bob'));
    const running = (await alice.submit(prompt('r'))).body.job.id as string;
    await until(() => gpu.running().includes(running), 10_000, 'the first job running');
    const queued = (await alice.submit(prompt('q1'))).body.job.id as string;
    const queued2 = (await alice.submit(prompt('q2'))).body.job.id as string;
    const bobs = (await bob.submit(prompt('b'))).body.job.id as string;

    // Queue delete: one DELETE per id, and the running job is left alone.
    const del = await counted(() => control.cancelPending([queued, running, bobs]));
    expect(del.result).toEqual({ mine: [queued, running], others: [bobs], cancelled: [queued] });
    expect(del.calls.sort()).toEqual(
      [queued, running, bobs].map((id) => `DELETE /api/jobs/${id}?onlyIf=queued`).sort(),
    );
    expect((await alice.job(running)).state).toBe('running');
    expect(gpu.running()).toContain(running);
    expect((await bob.job(bobs)).state).toBe('queued');

    // jobs cancel: cancelled now → true; again → false (already cancelled); one call each.
    expect(await counted(() => control.cancel(queued2))).toEqual({
      result: true,
      calls: [`DELETE /api/jobs/${queued2}`],
    });
    expect(await counted(() => control.cancel(queued2))).toEqual({
      result: false,
      calls: [`DELETE /api/jobs/${queued2}`],
    });
    // Someone else's job: not ours, untouched.
    expect(await counted(() => control.cancel(bobs))).toEqual({
      result: undefined,
      calls: [`DELETE /api/jobs/${bobs}`],
    });

    // Interrupt with a prompt id: one call, and the GPU stops it.
    const interrupt = await counted(() => control.cancelRunning([running]));
    expect(interrupt.result).toEqual({ mine: [running], others: [], cancelled: [running] });
    expect(interrupt.calls).toEqual([
      `DELETE /api/jobs/${running}?onlyIf=${encodeURIComponent('submitting,warming_up,running,fetching_outputs')}`,
    ]);
    await alice.waitFor(running, (job) => job.state === 'cancelled', 10_000);
    expect((await bob.job(bobs)).state).not.toBe('cancelled');

    // Bob's job runs next; finishing it keeps the gate from holding the relay's shutdown open.
    await until(() => gpu.running().includes(bobs), 10_000, "bob's job running");
    gpu.release(bobs);
    await bob.waitFor(bobs, (job) => job.state === 'done', 10_000);
  });
});
