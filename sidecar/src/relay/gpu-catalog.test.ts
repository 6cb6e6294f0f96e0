/**
 * The GPU listings cache: a TTL with stale-while-revalidate, `fresh` passed to the relay, a bounded
 * wait when there is no copy (none for Queue Prompt; the fetch goes on and fills the cache), and 404s kept as "no such route".
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createGpuCatalog } from './gpu-catalog';
import type { RelayClient } from './relay-client';

function fakeRelay() {
  const calls: string[] = [];
  let hold: Promise<void> | undefined;
  let info: Record<string, unknown> = { SaveImage: {} };
  const relay = {
    async objectInfo(options: { fresh?: boolean } = {}) {
      calls.push(options.fresh ? 'object_info?fresh' : 'object_info');
      const answer = info; // what the relay had when asked
      await hold;
      return answer;
    },
    async gpuListing(path: string) {
      calls.push(path);
      await hold;
      return path === '/models' ? ['checkpoints'] : undefined;
    },
  } as unknown as RelayClient;
  let release = () => undefined as void;
  return {
    relay,
    calls,
    set: (next: Record<string, unknown>) => (info = next),
    hold: () => (hold = new Promise<void>((resolve) => (release = resolve))),
    release: () => release(),
  };
}

describe('createGpuCatalog', () => {
  it('serves its copy within the TTL, then refreshes in the background; fresh asks the relay with fresh=1', async () => {
    let clock = 0;
    const r = fakeRelay();
    const catalog = createGpuCatalog(r.relay, {
      ttlMs: 1_000,
      waitMs: 50,
      logger: pino({ level: 'silent' }),
      now: () => clock,
    });
    expect(await catalog.objectInfo()).toEqual({ SaveImage: {} });
    expect(await catalog.objectInfo()).toEqual({ SaveImage: {} });
    expect(r.calls).toEqual(['object_info']);
    r.set({ SaveImage: {}, New: {} });
    expect(Object.keys((await catalog.objectInfo({ fresh: true }))!)).toContain('New');
    expect(r.calls).toEqual(['object_info', 'object_info?fresh']);
    clock = 5_000;
    r.set({ Later: {} });
    expect(Object.keys((await catalog.objectInfo())!)).toContain('New'); // stale copy at once…
    await expect.poll(async () => Object.keys((await catalog.objectInfo())!)).toEqual(['Later']); // …replaced by the refresh
  });

  it('without a copy it waits at most waitMs, and the late answer fills the cache', async () => {
    const r = fakeRelay();
    const catalog = createGpuCatalog(r.relay, {
      ttlMs: 60_000,
      waitMs: 30,
      logger: pino({ level: 'silent' }),
    });
    r.hold();
    expect(await catalog.listing('/models')).toBeUndefined();
    r.release();
    await expect
      .poll(() => catalog.listing('/models'))
      .toEqual({ found: true, body: ['checkpoints'] });
    expect(await catalog.listing('/models/nope')).toEqual({ found: false });
  });

  it('wait: false (Queue Prompt) answers at once without a copy, and the fetch it starts fills the cache', async () => {
    const r = fakeRelay();
    // waitMs far longer than the test may take: answering at all proves nothing waited for it.
    const catalog = createGpuCatalog(r.relay, {
      ttlMs: 60_000,
      waitMs: 600_000,
      logger: pino({ level: 'silent' }),
    });
    r.hold();
    expect(await catalog.objectInfo({ wait: false })).toBeUndefined();
    expect(r.calls).toEqual(['object_info']);
    expect(await catalog.objectInfo({ wait: false })).toBeUndefined(); // still cold: one fetch in flight, no second
    expect(r.calls).toEqual(['object_info']);
    r.release();
    await expect.poll(() => catalog.objectInfo({ wait: false })).toEqual({ SaveImage: {} });
  });

  it('a fresh look while a plain fetch is under way does not take its answer: it asks with fresh=1 after it', async () => {
    let clock = 0;
    const r = fakeRelay();
    const catalog = createGpuCatalog(r.relay, {
      ttlMs: 1_000,
      waitMs: 60_000,
      logger: pino({ level: 'silent' }),
      now: () => clock,
    });
    expect(await catalog.objectInfo()).toEqual({ SaveImage: {} });
    clock = 5_000;
    r.hold();
    expect(await catalog.objectInfo()).toEqual({ SaveImage: {} }); // stale: a plain refresh starts
    const fresh = catalog.objectInfo({ fresh: true });
    r.set({ SaveImage: {}, New: {} });
    r.release();
    expect(Object.keys((await fresh)!)).toContain('New');
    expect(r.calls).toEqual(['object_info', 'object_info', 'object_info?fresh']);
  });
});
