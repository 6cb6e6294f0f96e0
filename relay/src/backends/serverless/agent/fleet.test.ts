// Heartbeats on a real folder: liveness by the relay's own clock, restarts, holders, untrusted files.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentFleet } from './fleet';
import { until } from '../../../../../kit/until';

const JOB = '5b8f1c2e-0d3a-4f6b-9c7e-1a2b3c4d5e6f';
let dir: string;
let lines: string[];
let fleet: AgentFleet;

const beat = (
  replica: string,
  n: number,
  patch: Record<string, unknown> = {},
  file = `${replica}.json`,
) =>
  writeFileSync(
    join(dir, 'comfyume', 'replicas', file),
    JSON.stringify({
      v: 1,
      replica,
      startedAt: 1000,
      at: Date.now(),
      beat: n,
      comfyui: '0.27.0',
      agent: '1',
      intervalS: 2,
      running: null,
      pending: [],
      ...patch,
    }),
  );

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'comfyume-fleet-'));
  mkdirSync(join(dir, 'comfyume', 'replicas'), { recursive: true });
  lines = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }),
  );
  fleet = new AgentFleet({ outputDir: dir, pollMs: 1000, staleMs: 300, logger });
});
afterEach(() => {
  fleet.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Refreshes the fleet between looks, as its timer would. */
const refreshedUntil = (check: () => boolean) =>
  until(async () => check() || (await fleet.refresh(), false), 10_000, 'the fleet to see it', 20);

describe('agent fleet', () => {
  it('is live while the heartbeat changes, stale when it stops, whatever the replica’s clock says', async () => {
    beat('gpu-a', 1, { running: { job: JOB, attempt: 1, node: '3', progress: null } });
    await fleet.refresh();
    expect(fleet.anyLive()).toBe(true);
    expect(fleet.holderOf(JOB, 1)).toEqual({ replica: 'gpu-a', startedAt: 1000, state: 'running' });
    expect(fleet.holderOf(JOB, 2)).toBeUndefined();
    // The same content again (a replica that stopped writing): stale after staleMs of the relay's clock.
    await refreshedUntil(() => !fleet.isLive('gpu-a'));
    expect(fleet.holderOf(JOB, 1)).toBeUndefined();
    // A new beat brings it back, its own `at` far in the future notwithstanding.
    beat('gpu-a', 2, { at: Date.now() + 3_600_000 });
    await fleet.refresh();
    expect(fleet.isLive('gpu-a', 1000)).toBe(true);
  });

  it('takes a restart under the same id for a new replica, and a removed heartbeat for a gone one', async () => {
    beat('gpu-a', 5);
    await fleet.refresh();
    beat('gpu-a', 1, { startedAt: 2000 });
    await fleet.refresh();
    expect(fleet.isLive('gpu-a', 1000)).toBe(false);
    expect(fleet.isLive('gpu-a', 2000)).toBe(true);
    unlinkSync(join(dir, 'comfyume', 'replicas', 'gpu-a.json'));
    await fleet.refresh();
    expect(fleet.isLive('gpu-a')).toBe(false);
    expect(fleet.replicas().map((r) => r.state)).toEqual(['stale']);
  });

  it('ignores untrusted files with one log line each, until they change', async () => {
    beat('../../etc', 1, {}, 'evil.json');
    beat('gpu-b', 1, {}, 'gpu-c.json'); // name and content disagree
    writeFileSync(join(dir, 'comfyume', 'replicas', 'broken.json'), '{not json');
    writeFileSync(join(dir, 'comfyume', 'replicas', '.gpu-d.json.1.tmp'), '{'); // an atomic write in progress
    beat('gpu-e', 1);
    for (let i = 0; i < 3; i++) await fleet.refresh();
    expect(fleet.replicas().map((r) => r.replica)).toEqual(['gpu-e']);
    const refused = lines.map((l) => JSON.parse(l) as { file: string }).map((l) => l.file);
    expect(refused.sort()).toEqual(['broken.json', 'evil.json', 'gpu-c.json']);
  });
});
