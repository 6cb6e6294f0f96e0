/** The hub against a real HTTP server: polling while no socket, both API generations, persistence. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JobHub, type JobStorage } from './job-hub';
import type { FetchLike } from './job-source';
import type { JobsState, TrackedJob } from '../state/jobs-state';

let server: Server;
let base = '';
let legacy = false;
const hits: string[] = [];
let active: unknown[] = [];
let finished: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/jobs') {
      if (legacy) return send(404, { error: 'not found' });
      const list = url.searchParams.get('status')!.includes('pending') ? active : finished;
      return send(200, {
        jobs: list,
        pagination: { offset: 0, limit: 64, total: list.length, has_more: false },
      });
    }
    if (url.pathname === '/api/queue')
      return send(200, {
        queue_running: [[1, 'legacy-run', {}, { create_time: 5 }, []]],
        queue_pending: [],
      });
    if (url.pathname === '/api/history') return send(200, {});
    send(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  legacy = false;
  active = [];
  finished = [];
  hits.length = 0;
});

const fetchFn = undiciFetch as unknown as FetchLike;
const memoryStorage = (): JobStorage & { data: Map<string, TrackedJob[]> } => {
  const data = new Map<string, TrackedJob[]>();
  return { data, load: async (k) => data.get(k), save: async (k, jobs) => void data.set(k, jobs) };
};
const fast = { down: 30, active: 60, idle: 120 };

describe('JobHub', () => {
  it('polls while no tab has a live socket and pushes the state to tabs', async () => {
    active = [{ id: 'a', status: 'in_progress', create_time: 1, priority: 1 }];
    const hub = new JobHub({ fetch: fetchFn, intervals: fast });
    const seen: JobsState[] = [];
    hub.attach('tab1', (s) => seen.push(s));
    await hub.configure({ apiBase: base });
    await vi.waitFor(() => expect(seen.at(-1)?.jobs.a?.state).toBe('running'));
    active = [];
    finished = [{ id: 'a', status: 'completed', create_time: 1, execution_end_time: 9 }];
    await vi.waitFor(() => expect(seen.at(-1)?.jobs.a?.state).toBe('done'));
    hub.close();
  });

  it('polls slowly once a socket is up, and catches up when a socket reopens', async () => {
    const hub = new JobHub({
      fetch: fetchFn,
      intervals: { down: 20, active: 60_000, idle: 60_000 },
    });
    hub.attach('tab1', () => undefined);
    await hub.configure({ apiBase: base });
    hub.setSocket('tab1', true);
    await vi.waitFor(() => expect(hub.getState().lastPollAt).toBeDefined());
    const count = hits.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(hits.length).toBeLessThanOrEqual(count + 2); // no 20 ms polling with a live socket
    hub.setSocket('tab1', false);
    hub.setSocket('tab1', true);
    await vi.waitFor(() => expect(hits.length).toBeGreaterThan(count));
    hub.close();
  });

  it('falls back to /queue + /history when /api/jobs is 404', async () => {
    legacy = true;
    const hub = new JobHub({ fetch: fetchFn, intervals: fast });
    hub.attach('t', () => undefined);
    await hub.configure({ apiBase: base });
    await vi.waitFor(() => expect(hub.getState().jobs['legacy-run']?.state).toBe('running'));
    expect(hits.some((h) => h.startsWith('/api/history?max_items='))).toBe(true);
    hub.close();
  });

  it('persists jobs and restores them in a new hub (a reload)', async () => {
    const storage = memoryStorage();
    const first = new JobHub({ fetch: fetchFn, storage, intervals: fast });
    first.attach('t', () => undefined);
    await first.configure({ apiBase: base });
    first.dispatch({
      type: 'comfy',
      message: { type: 'execution_success', data: { prompt_id: 'p', timestamp: 5 } },
      at: 5,
    });
    await vi.waitFor(() => expect(storage.data.get(base)?.map((j) => j.id)).toContain('p'));
    first.close();
    const second = new JobHub({ fetch: fetchFn, storage, intervals: fast });
    await second.configure({ apiBase: base });
    expect(second.getState().jobs.p?.state).toBe('done');
    second.close();
  });

  it('counts tabs and drops a tab whose listener fails', async () => {
    const hub = new JobHub({ fetch: fetchFn, intervals: fast });
    hub.attach('ok', () => undefined);
    hub.attach('dead', () => Promise.reject(new Error('port closed')));
    expect(hub.tabCount()).toBe(2);
    hub.dispatch({ type: 'relay', connected: true });
    await vi.waitFor(() => expect(hub.tabCount()).toBe(1));
    hub.detach('ok');
    expect(hub.tabCount()).toBe(0);
    hub.close();
  });
});
