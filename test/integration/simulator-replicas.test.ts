/**
 * `replicas: 3` reproduces the serverless load-balancer problem: a prompt lands on one replica, /history/{id}
 * on the others answers `{}`, and the outputs appear in the one shared output folder.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import { postJson, readJson, REAL_027 } from '../../simulator/testing/recorded';

let sim: RunningSimulator;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sim-replicas-'));
  sim = await startSimulator({
    outputDir: `${dir}/output`,
    inputDir: `${dir}/input`,
    tempDir: `${dir}/temp`,
    stepMs: 5,
    replicas: 3,
  });
});

afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('round-robins requests over independent replicas that share the output folder', async () => {
  expect(sim.replicas).toHaveLength(3);
  expect(new Set(sim.replicas.map((r) => r.port)).size).toBe(3);
  const prompt = readJson(path.join(REAL_027, 'api/workflows/run1_empty_save.api.json'));
  const res = await postJson(`${sim.url}/prompt`, {
    prompt: { ...(prompt as object) },
    client_id: 'lb-client',
  });
  expect(res.status).toBe(200);
  const promptId = (res.json as { prompt_id: string }).prompt_id;

  // Ask each replica directly until the owner has finished: exactly one knows the prompt.
  const answers = async () =>
    Promise.all(
      sim.replicas.map(
        async (r) =>
          (await fetch(`${r.url}/history/${promptId}`)).json() as Promise<Record<string, unknown>>,
      ),
    );
  let perReplica = await answers();
  for (let i = 0; i < 600 && !perReplica.some((h) => promptId in h); i++) {
    await new Promise((r) => setTimeout(r, 50));
    perReplica = await answers();
  }
  expect(perReplica.filter((h) => promptId in h)).toHaveLength(1);
  expect(perReplica.filter((h) => Object.keys(h).length === 0)).toHaveLength(2);

  // Through the balancer, three consecutive polls reach three different replicas: one hit, two `{}`.
  const polls = [];
  for (let i = 0; i < 3; i++)
    polls.push(
      (await (await fetch(`${sim.url}/history/${promptId}`)).json()) as Record<string, unknown>,
    );
  expect(polls.filter((h) => promptId in h)).toHaveLength(1);
  expect(polls.filter((h) => Object.keys(h).length === 0)).toHaveLength(2);

  // The file is in the shared folder, so any replica serves it.
  expect(existsSync(`${dir}/output/realcomfy2_run1_00001_.png`)).toBe(true);
  for (const r of sim.replicas) {
    const view = await fetch(`${r.url}/view?filename=realcomfy2_run1_00001_.png&type=output`);
    expect(view.status).toBe(200);
    await view.arrayBuffer();
  }

  // Each replica has its own counter: the next prompt on another replica is number 0 again.
  const second = await postJson(`${sim.url}/prompt`, { prompt, client_id: 'lb-client' });
  const third = await postJson(`${sim.url}/prompt`, { prompt, client_id: 'lb-client' });
  expect([
    (res.json as { number: number }).number,
    (second.json as { number: number }).number,
    (third.json as { number: number }).number,
  ]).toEqual([0, 0, 0]);
});

it('round-robins WebSocket connections too (each replica mints its own sid)', async () => {
  const { RecordingClient } = await import('../../simulator/testing/recorded');
  const clients = [];
  for (let i = 0; i < 3; i++)
    clients.push(await RecordingClient.open(sim.url, { clientId: `ws-${i}` }));
  for (const c of clients) await c.until((t) => t.some((m) => m.type === 'feature_flags'));
  const counts = sim.replicas.map((r) => r.context.hub.size);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
  expect(counts.filter((n) => n > 0).length).toBe(3);
  for (const c of clients) c.close();
});
