/**
 * @fileoverview Row 4: admissions per second for a bounded burst. Platform = POST /api/jobs on a
 * relay (user tokens round robin, durable queue in Redis); stock = POST /api/prompt on a
 * simulated ComfyUI (validation + in-memory queue). Both GPUs are slow (long steps), so the burst
 * measures taking jobs in, not running them; queues are cleared afterwards.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { LoadClient } from '../load/child';
import type { SubmitResult } from '../load/protocol';
import { makeRow, type Row } from '../report';
import { simulatorAt, userToken, type RelayRig, type Rig } from '../rig';
import { ComfyHttp } from '../../../kit/comfy/http';
import { percentile } from '../../../kit/percentile';
import { distribution, round, value } from '../stats';
import type { WorkflowSize } from '../workflow';

export type AdmissionOptions = {
  count: number;
  concurrency: number;
  maxMs: number;
  users: number;
  size: WorkflowSize;
};

/** GPU steps so long that a burst measures taking jobs in, not running them. */
export const SLOW_STEP_MS = 2_000;

/** Empties a ComfyUI's queue and stops its running prompt, so nothing keeps working after the burst. */
export async function drain(url: string): Promise<void> {
  const http = new ComfyHttp({ baseUrl: url, timeoutMs: 60_000 });
  const post = (path: string, body: unknown) =>
    http.request('POST', path, { json: body }).catch(() => undefined);
  await post('/api/queue', { clear: true });
  await post('/api/interrupt', {});
}

/**
 * Relay events per admitted job after the burst: each reaches every socket of the job's user, so
 * this is the frames per socket per job so far (one snapshot at submit plus position moves, which
 * are coalesced: waits out one announcement period first). Read from the relay's all-users stream.
 */
async function eventsPerJob(relay: RelayRig['relay'], accepted: number): Promise<number> {
  await sleep(1_500);
  const { redisUrl, redisPrefix } = relay.parts.config;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return (await redis.xlen(`${redisPrefix}events:all`)) / Math.max(1, accepted);
  } finally {
    redis.disconnect();
  }
}

/** p50 of the first and last tenth of the requests (completion order): does admission slow down as the queue grows? */
function drift(latencies: number[]): string {
  const tenth = Math.max(1, Math.floor(latencies.length / 10));
  return `${round(percentile(latencies.slice(0, tenth), 50))} → ${round(percentile(latencies.slice(-tenth), 50))} ms`;
}

export async function admissions(rig: Rig, load: LoadClient, o: AdmissionOptions): Promise<Row[]> {
  const relayRig = await rig.startRelay('admissions', { stepMs: SLOW_STEP_MS });
  const stockSim = await simulatorAt(join(rig.root, 'admissions', 'stock'), {
    stepMs: SLOW_STEP_MS,
  });
  const tokens = Array.from({ length: o.users }, (_, i) =>
    userToken(`adm${String(i).padStart(3, '0')}`),
  );
  const timeout = o.maxMs + 120_000;
  let stock: SubmitResult;
  let platform: SubmitResult;
  let frames = 0;
  try {
    stock = await load.run(
      {
        cmd: 'submit',
        target: 'comfy',
        url: stockSim.url,
        tokens: [],
        count: o.count,
        concurrency: o.concurrency,
        maxMs: o.maxMs,
        size: o.size,
      },
      timeout,
    );
    await drain(stockSim.url); // its running prompt would otherwise keep working through the platform's burst
    platform = await load.run(
      {
        cmd: 'submit',
        target: 'relay',
        url: relayRig.url,
        tokens,
        count: o.count,
        concurrency: o.concurrency,
        maxMs: o.maxMs,
        size: o.size,
      },
      timeout,
    );
    frames = await eventsPerJob(relayRig.relay, platform.accepted).catch(() => 0);
  } finally {
    await drain(stockSim.url);
    await relayRig.relay.close().catch(() => undefined); // stops claiming; queued jobs stay in Redis under their own prefix
    await drain(relayRig.gpu.url);
    await relayRig.close();
    await stockSim.close();
  }
  if (stock.accepted === 0 || platform.accepted === 0)
    throw new Error(
      `no job was admitted (stock: ${stock.firstFailure ?? 'none'}; platform: ${platform.firstFailure ?? 'none'})`,
    );
  const failures = stock.failures + platform.failures || undefined;
  const shape = `up to ${o.count} txt2img jobs or ${o.maxMs / 1000} s, ${o.concurrency} concurrent clients in a separate process; relay: ${o.users} user tokens round robin, MAX_QUEUED_PER_USER=0`;
  return [
    makeRow({
      id: 'admissions',
      bench: 'admissions',
      measure: 'admissions',
      unit: 'jobs/s',
      better: 'higher',
      stock: value(stock.accepted, stock.accepted / (stock.elapsedMs / 1000)),
      platform: value(platform.accepted, platform.accepted / (platform.elapsedMs / 1000)),
      how: `accepted submissions / burst wall time; platform = relay POST /api/jobs (201), stock = ComfyUI POST /api/prompt (200); ${shape}.${platform.firstFailure ? ` First platform refusal: ${platform.firstFailure}` : ''}`,
      failures,
    }),
    makeRow({
      id: 'admission-latency',
      bench: 'admissions',
      measure: 'admission request time',
      unit: 'ms',
      better: 'lower',
      stock: distribution(stock.latenciesMs),
      platform: distribution(platform.latenciesMs),
      how: `per-request time of the accepted submissions in the same bursts; p50 of the first → last tenth: stock ${drift(stock.latenciesMs)}, platform ${drift(platform.latenciesMs)}; relay events per admitted job (frames per socket per job, queue positions included) ${round(frames)}.`,
      failures,
    }),
  ];
}
