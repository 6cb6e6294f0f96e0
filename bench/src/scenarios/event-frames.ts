/**
 * @fileoverview Row 6's queue figure: how many frames a user's socket receives per job of theirs
 * while a burst of jobs waits in the queue (the submit snapshot plus the coalesced position moves).
 * Shape: the 1,000-socket run's sockets (5 per user × 200 users, held by the load-client process)
 * on a relay of its own whose GPU is slow, so the jobs stay queued; the burst is POST /api/jobs
 * round robin over the same users. Stock is not run: ComfyUI broadcasts `status` to every socket on
 * each queue change, one frame per socket per job of anyone's (`users` frames per own job).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadClient } from '../load/child';
import type { FramesResult } from '../load/protocol';
import { userToken, type Rig } from '../rig';
import { distribution, round, type Distribution } from '../stats';
import { drain, SLOW_STEP_MS } from './admissions';

export type FrameOptions = {
  users: number;
  socketsPerUser: number;
  jobsPerUser: number;
};

/** Per socket: `job` frames (snapshots) and frames of every type, each per job of the socket's user. */
export type FrameFigure = {
  accepted: number;
  failures: number;
  jobFrames: Distribution;
  allFrames: Distribution;
};

const userId = (i: number) => `fr${String(i).padStart(3, '0')}`;
const size = { width: 512, height: 512, steps: 4 };

/** Waits until a whole announcement period (1 s) passes without a frame, at most `maxMs`. */
async function settle(load: LoadClient, maxMs: number): Promise<FramesResult['counts']> {
  const total: FramesResult['counts'] = [];
  const deadline = Date.now() + maxMs;
  for (;;) {
    await sleep(1_200);
    const { counts } = await load.run({ cmd: 'frames' }, 30_000);
    let got = 0;
    counts.forEach((byType, i) => {
      const sum = (total[i] ??= {});
      for (const [type, n] of Object.entries(byType)) {
        sum[type] = (sum[type] ?? 0) + n;
        got += n;
      }
    });
    if (got === 0 || Date.now() >= deadline) return total;
  }
}

export async function queueFrames(
  rig: Rig,
  load: LoadClient,
  o: FrameOptions,
): Promise<FrameFigure> {
  const relayRig = await rig.startRelay('frames', { stepMs: SLOW_STEP_MS });
  const wsUrl = `${relayRig.url.replace(/^http/, 'ws')}/api/events`;
  const owners = Array.from({ length: o.users * o.socketsPerUser }, (_, i) =>
    Math.floor(i / o.socketsPerUser),
  );
  const tokens = Array.from({ length: o.users }, (_, u) => userToken(userId(u)));
  let counts: FramesResult['counts'];
  let accepted: number;
  let failures: number;
  try {
    const opened = await load.run(
      {
        cmd: 'subscribe',
        sockets: owners.map((u) => ({ url: wsUrl, token: tokens[u] })),
        concurrency: 50,
      },
      120_000,
    );
    if (opened.open < owners.length)
      throw new Error(`only ${opened.open} sockets opened: ${opened.firstFailure ?? 'unknown'}`);
    await sleep(500);
    await load.run({ cmd: 'frames' }, 30_000); // whatever a socket gets on connect is not a job's
    const burst = await load.run(
      {
        cmd: 'submit',
        target: 'relay',
        url: relayRig.url,
        tokens,
        count: o.users * o.jobsPerUser,
        concurrency: 32,
        maxMs: 60_000,
        size,
      },
      180_000,
    );
    accepted = burst.accepted;
    failures = burst.failures;
    counts = await settle(load, 30_000);
  } finally {
    await load.run({ cmd: 'close-sockets' }, 30_000).catch(() => undefined);
    await relayRig.relay.close().catch(() => undefined);
    await drain(relayRig.gpu.url);
    await relayRig.close();
  }
  if (accepted === 0) throw new Error('no job was admitted for the queue-frames figure');
  // Job i went to user i % users: each socket's user has this share of the accepted burst.
  const jobsPerUser = accepted / o.users;
  const sum = (byType: Record<string, number>) => Object.values(byType).reduce((a, b) => a + b, 0);
  return {
    accepted,
    failures,
    jobFrames: distribution(counts.map((byType) => (byType.job ?? 0) / jobsPerUser)),
    allFrames: distribution(counts.map((byType) => sum(byType) / jobsPerUser)),
  };
}

/** The figure as a sentence for the events row's notes. */
export function describeFrames(f: FrameFigure, o: FrameOptions): string {
  return (
    `Queue frames: with the same ${o.users * o.socketsPerUser} sockets on a relay with a slow GPU, a burst of ${f.accepted} jobs ` +
    `(${round(f.accepted / o.users)} per user, POST /api/jobs, 32 concurrent clients) sent each socket ` +
    `p50 ${round(f.jobFrames.p50)} / p95 ${round(f.jobFrames.p95)} / max ${round(f.jobFrames.max)} \`job\` frames per job of its user ` +
    `while the burst stayed queued (snapshot at submit + position moves, until 1.2 s without a frame; every type: p50 ${round(f.allFrames.p50)}; ` +
    `not in it: later moves as the queue drains, running/done snapshots); ` +
    `stock ComfyUI broadcasts status to every socket per queued job (${o.users} per own job here).` +
    (f.failures ? ` ${f.failures} submits refused.` : '')
  );
}
