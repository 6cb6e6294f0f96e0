/**
 * The prewarmer's view of the GPU over whole warm-up cycles, on a clock the test moves: the GPU
 * a warm-up keeps up reads "warm" at every moment of the cycle, also while the next prompt is on
 * its way; a replica that is starting reads "warming"; one left past the interval reads "cold".
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BackendState } from '../../../protocol/src/index';
import type { WarmUpResult } from '../backends/serverless/warm-up';
import { Prewarmer } from './prewarmer';

const INTERVAL_MS = 2_000;
const CHECK_MS = 1_000;

function setup(options: { inSchedule: boolean }) {
  let clock = Date.parse('2026-12-05T10:00:00');
  let state: BackendState = 'ready';
  const pending: Array<(r: WarmUpResult) => void> = [];
  const prewarmer = new Prewarmer({
    config: {
      schedule: options.inSchedule ? [{ start: 0, end: 24 * 60 - 1, text: '00:00-23:59' }] : [],
      intervalMs: INTERVAL_MS,
      warmNowMs: 60_000,
    },
    target: {
      warmUp: () => new Promise<WarmUpResult>((resolve) => pending.push(resolve)),
      state: () => state,
    },
    busy: () => Promise.resolve(false),
    observe: () => {},
    logger: pino({ level: 'silent' }),
    checkMs: CHECK_MS, // the look period the relay uses for a 2 s interval; the test looks itself
    now: () => new Date(clock),
  });
  const settle = () => new Promise((r) => setImmediate(r));
  const check = async () => {
    await (prewarmer as unknown as { check(): Promise<void> }).check();
    await settle();
  };
  return {
    prewarmer,
    pending,
    check,
    settle,
    advance: (ms: number) => void (clock += ms),
    now: () => clock,
    setState: (s: BackendState) => void (state = s),
  };
}

describe('Prewarmer warmth', () => {
  it('reads warm at every moment of steady cycles, also while the next prompt is on its way', async () => {
    const t = setup({ inSchedule: true });
    await t.check();
    expect(t.pending).toHaveLength(1);
    t.pending.shift()!({ acceptedAt: t.now() });
    await t.settle();
    const seen = new Set<string>();
    for (let step = 0; step < 40; step++) {
      t.advance(250);
      if (step % 4 === 3) await t.check();
      seen.add(t.prewarmer.status().gpu);
      // The endpoint takes the prompt half a second after it went out.
      if (t.pending.length && step % 4 === 1) {
        t.pending.shift()!({ acceptedAt: t.now() });
        await t.settle();
      }
    }
    expect(t.prewarmer.status().prompts).toBeGreaterThanOrEqual(3);
    expect([...seen]).toEqual(['warm']);
  });

  it('reads warming while a replica starts and cold once the interval passed with nothing sent', async () => {
    const t = setup({ inSchedule: false });
    expect(t.prewarmer.status().gpu).toBe('unknown');
    await t.prewarmer.warmNow();
    t.setState('warming_up');
    expect(t.prewarmer.status().gpu).toBe('warming');
    t.setState('ready');
    t.pending.shift()!({ acceptedAt: t.now(), coldStartMs: 1_500 });
    await t.settle();
    expect(t.prewarmer.status().gpu).toBe('warm');
    expect(t.prewarmer.status().lastColdStart?.ms).toBe(1_500);
    t.advance(INTERVAL_MS + CHECK_MS + 1);
    expect(t.prewarmer.status().gpu).toBe('cold');
  });
});
