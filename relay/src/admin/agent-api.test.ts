// The operator's agent API over a real socket: replicas, a job's agent log from real files, and who may ask.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { writeAtomic } from '../../../test/support/write-atomic';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLogResponse, ReplicasResponse, journalPath } from '../../../protocol/src/index';
import { mintUserToken } from '../../../kit/user-token';
import type { Backend } from '../backends/backend';
import { createAgentApi } from './agent-api';

const SECRET = 'agent-api-secret-0123456789';
const ADMIN = 'agent-api-admin-0123456789';
const HOUR = 3_600_000;
/** Jobs without a folder on the volume: one finished beyond SFS_RETENTION_H (swept), one within it. */
const SWEPT = '0f0e0d0c-0b0a-4908-8706-050403020100';
const RECENT = '1f0e0d0c-0b0a-4908-8706-050403020100';
const fixture = JSON.parse(
  readFileSync(
    new URL('../../../protocol/src/agent/fixtures/journal.example.json', import.meta.url),
    'utf8',
  ),
) as {
  jobId: string;
  replica: string;
  batches: unknown[];
  heartbeat: Record<string, unknown>;
  cancel: unknown;
};

let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'comfyume-agent-api-'));
  const journal = join(dir, ...journalPath(fixture.jobId, 1, fixture.replica).split('/'));
  fixture.batches.forEach((batch, i) =>
    writeAtomic(join(journal, `0000000${i + 1}.json`), JSON.stringify(batch)),
  );
  writeAtomic(
    join(dir, 'comfyume', fixture.jobId, '.agent', 'cancel.json'),
    JSON.stringify(fixture.cancel),
  );
  const backend = {
    name: 'serverless',
    replicas: () => [{ ...fixture.heartbeat, state: 'live', lastSeenAt: Date.now() }],
    sfsOutputDir: dir,
  } as unknown as Backend;
  const finished = new Map([
    [fixture.jobId, Date.now() - 48 * HOUR],
    [SWEPT, Date.now() - 25 * HOUR],
    [RECENT, Date.now() - HOUR],
  ]);
  const api = createAgentApi({
    backends: [backend],
    relaySecret: SECRET,
    adminToken: ADMIN,
    logger: pino({ level: 'silent' }),
    sweep: { retentionMs: 24 * HOUR, finishedAt: async (jobId) => finished.get(jobId) },
  });
  server = createServer((req, res) => {
    if (!api(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, token?: string) =>
  fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('agent admin API', () => {
  it('lists the replicas for the operator', async () => {
    const response = await get('/api/admin/replicas', ADMIN);
    expect(response.status).toBe(200);
    const body = ReplicasResponse.parse(await response.json());
    expect(body.replicas.map((r) => [r.replica, r.state, r.comfyui])).toEqual([
      [fixture.replica, 'live', '0.27.0'],
    ]);
  });

  it("reads a job's agent log from the shared volume, one line per record, images summarised", async () => {
    const response = await get(`/api/admin/jobs/${fixture.jobId}/agent-log`, ADMIN);
    const log = AgentLogResponse.parse(await response.json());
    expect(log.attempts).toHaveLength(1);
    const [attempt] = log.attempts;
    expect(attempt).toMatchObject({ attempt: 1, replica: fixture.replica, omitted: 0 });
    expect(attempt!.entries.map((e) => e.what)).toContain('execution_success');
    expect(attempt!.entries.find((e) => e.what === 'progress')?.detail).toBe('node 3 1/2');
    expect(attempt!.entries.find((e) => e.kind === 'preview')?.detail).toMatch(
      /^node 3, \d+ KB image\/jpeg$/,
    );
    expect(JSON.stringify(log)).not.toContain('/9j/'); // no image bytes
    expect(log.cancel).toMatchObject({ attempt: 1, reason: 'user' });
  });

  it("says plainly when a job's journal was swept after SFS_RETENTION_H, and only then", async () => {
    const swept = AgentLogResponse.parse(
      await (await get(`/api/admin/jobs/${SWEPT}/agent-log`, ADMIN)).json(),
    );
    expect(swept.attempts).toEqual([]);
    expect(swept.removed).toMatchObject({ retentionH: 24 });
    const recent = AgentLogResponse.parse(
      await (await get(`/api/admin/jobs/${RECENT}/agent-log`, ADMIN)).json(),
    );
    expect(recent.removed).toBeUndefined(); // no journal, but not for the sweeper's sake
    const kept = AgentLogResponse.parse(
      await (await get(`/api/admin/jobs/${fixture.jobId}/agent-log`, ADMIN)).json(),
    );
    expect(kept.removed).toBeUndefined(); // old, but its folder is still there
  });

  it('answers 401 without a token and 404 to users, as for a route that does not exist', async () => {
    expect((await get('/api/admin/replicas')).status).toBe(401);
    const user = mintUserToken(SECRET, 'user001');
    expect((await get('/api/admin/replicas', user)).status).toBe(404);
    expect((await get(`/api/admin/jobs/${fixture.jobId}/agent-log`, user)).status).toBe(404);
    expect((await get('/api/admin/jobs/..%2F..%2Fetc/agent-log', ADMIN)).status).toBe(404);
    expect((await get('/api/jobs', ADMIN)).status).toBe(418); // not ours: passed on
  });
});
