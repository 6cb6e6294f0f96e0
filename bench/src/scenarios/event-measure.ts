/**
 * @fileoverview The measuring loop shared by the event rows: open the sockets in the load-client
 * process, emit numbered `bench.ping`s at a fixed pace (bounded count), collect every receipt
 * (bounded wait) and turn emit/receive times into latencies. Emit times are taken in the bench
 * process and receive times in the client process, both from CLOCK_MONOTONIC.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadClient } from '../load/child';
import type { SubscribeCommand } from '../load/protocol';
import { monoMs } from '../stats';

export type Outcome = {
  latencies: number[];
  missing: number;
  openFailures: number;
  firstFailure?: string;
};
export type Pace = {
  events: number;
  intervalMs: number;
  receiversPerEvent: number;
  /** Emitted once before measuring (e.g. one ping per socket), not measured; its pings use negative seqs. */
  warmup?: { events: number; emit: (seq: number, index: number) => void };
};

async function collectUntil(
  load: LoadClient,
  expected: number,
  waitMs: number,
): Promise<[number, number, number][]> {
  const receipts: [number, number, number][] = [];
  const deadline = Date.now() + waitMs;
  while (receipts.length < expected && Date.now() < deadline) {
    receipts.push(...(await load.run({ cmd: 'collect' }, 30_000)).receipts);
    if (receipts.length < expected) await sleep(100);
  }
  return receipts;
}

export async function measureEvents(
  load: LoadClient,
  sockets: SubscribeCommand['sockets'],
  emit: (seq: number) => void,
  pace: Pace,
): Promise<Outcome> {
  const opened = await load.run({ cmd: 'subscribe', sockets, concurrency: 50 }, 120_000);
  if (opened.open === 0) throw new Error(`no socket opened: ${opened.firstFailure ?? 'unknown'}`);
  try {
    await sleep(500); // let the last upgrades settle (registered in their hubs) before the first event
    if (pace.warmup) {
      for (let i = 0; i < pace.warmup.events; i++) pace.warmup.emit(-1 - i, i);
      await collectUntil(load, pace.warmup.events, 15_000);
    }
    await load.run({ cmd: 'collect' }, 30_000); // drop anything received so far
    const emittedAt = new Map<number, number>();
    for (let seq = 0; seq < pace.events; seq++) {
      emittedAt.set(seq, monoMs());
      emit(seq);
      await sleep(pace.intervalMs);
    }
    const expected = pace.events * pace.receiversPerEvent;
    const receipts = await collectUntil(load, expected, 10_000);
    const latencies = receipts
      .map(([, seq, at]) => at - (emittedAt.get(seq) ?? Number.NaN))
      .filter(Number.isFinite);
    return {
      latencies,
      missing: Math.max(0, expected - latencies.length),
      openFailures: opened.failures,
      firstFailure: opened.firstFailure,
    };
  } finally {
    await load.run({ cmd: 'close-sockets' }, 30_000);
  }
}
