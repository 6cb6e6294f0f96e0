// Serverless delivery against the real simulator with 3 replicas behind its round-robin balancer.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServerlessBackend,
  type ServerlessBackend,
} from '../../relay/src/backends/serverless';
import type { RunnableJob } from '../../relay/src/backends/backend';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import {
  filesUnder,
  memoryLogger,
  recordingContext,
  sha,
  threeOutputPrompt,
  ending,
} from './serverless-harness';

let dir: string;
let sim: RunningSimulator;
let backend: ServerlessBackend;
const log = memoryLogger();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-sl-delivery-'));
  sim = await startSimulator({
    outputDir: join(dir, 'sfs-output'),
    inputDir: join(dir, 'sfs-input'),
    tempDir: join(dir, 'gpu-temp'),
    replicas: 3,
    stepMs: 5,
  });
  backend = createServerlessBackend(
    {
      endpoint: sim.url,
      sfsOutputDir: join(dir, 'sfs-output'),
      pollMs: 100, // polling mode, as on NFS
      historyPollMs: 300,
      settleMs: 1500,
      jobTimeoutMs: 60_000,
      coldStartBudgetMs: 10_000,
      capacity: 6,
    },
    { logger: log.logger },
  );
});

afterAll(async () => {
  await backend?.close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

const job = (prompt: Record<string, unknown>, userId = 'user001'): RunnableJob => ({
  id: randomUUID(),
  userId,
  prompt,
  extraData: {},
  outputsToExecute: [],
  inputs: [],
});

describe('serverless backend: delivery', () => {
  it('delivers every output of a job exactly once although most history polls miss', async () => {
    const store = join(dir, 'store-single');
    const rec = recordingContext(store, log.logger);
    const j = job(threeOutputPrompt('renders/cat', 2));
    const result = await backend.run(j, rec.ctx);

    expect(result.status).toBe('success');
    // 2 images × 3 output nodes, each stored once; the user store holds exactly those 6 files.
    expect(rec.stored.size).toBe(6);
    expect(await filesUnder(store)).toEqual([
      'output/inverted/renders/cat_00001_.png',
      'output/inverted/renders/cat_00002_.png',
      'output/renders/cat_00001_.png',
      'output/renders/cat_00002_.png',
      expect.stringMatching(/^temp\/ComfyUI_temp_[a-z]{5}_00001_\.png$/),
      expect.stringMatching(/^temp\/ComfyUI_temp_[a-z]{5}_00002_\.png$/),
    ]);
    for (const [source, item] of rec.stored) {
      expect(await sha(join(store, item.type, item.subfolder, item.filename))).toBe(
        await sha(source),
      );
    }
    // Truthful messages (the tab's, written from the evidence): per node running → executing →
    // executed, then success after every executed.
    const seen = rec.sequence.messages(result, j.id);
    const types = seen.map((m) => m.type);
    expect(types[0]).toBe('execution_start');
    expect(ending(rec, result)).toEqual(['execution_success', 'executing:null']);
    expect(types.lastIndexOf('executed')).toBeLessThan(types.indexOf('execution_success'));
    const executedNodes = new Set(
      seen.filter((m) => m.type === 'executed').map((m) => m.data.node),
    );
    expect(executedNodes).toEqual(new Set(['2', '3', '5']));
    const preview = seen.filter((m) => m.type === 'executed' && m.data.node === '3').at(-1);
    expect(
      (preview?.data.output as { images: { type: string }[] }).images.map((i) => i.type),
    ).toEqual(['temp', 'temp']);
    expect(result.outputs['2']?.images).toHaveLength(2);
    expect(result.outputs['5']?.images).toEqual([
      { filename: 'cat_00001_.png', subfolder: 'inverted/renders', type: 'output' },
      { filename: 'cat_00002_.png', subfolder: 'inverted/renders', type: 'output' },
    ]);
    const lastState = seen.filter((m) => m.type === 'progress_state').at(-1)?.data.nodes as Record<
      string,
      { state: string }
    >;
    expect(Object.values(lastState).every((n) => n.state === 'finished')).toBe(true);
    expect(rec.attempted).toEqual([j.id]);
    expect(rec.submitted).toEqual([j.id]);
    expect(seen.every((m) => m.data.prompt_id === j.id)).toBe(true);
    // The load-balancer situation is real: only the replica that ran it knows it; the others answer {}.
    const answers = await Promise.all(
      sim.replicas.map((r) =>
        fetch(`${r.url}/history/${j.id}`).then(
          (res) => res.json() as Promise<Record<string, unknown>>,
        ),
      ),
    );
    expect(answers.filter((a: Record<string, unknown>) => j.id in a)).toHaveLength(1);
    expect(
      answers.filter((a: Record<string, unknown>) => Object.keys(a).length === 0),
    ).toHaveLength(2);
  });

  it('completes from files alone when history never answers in time', async () => {
    // One history poll at submit (too early: {}), the next a minute later: only the files can end this job.
    const filesOnly = createServerlessBackend(
      {
        endpoint: sim.url,
        sfsOutputDir: join(dir, 'sfs-output'),
        pollMs: 100,
        historyPollMs: 60_000,
        settleMs: 1500,
        jobTimeoutMs: 10 * 60_000,
        coldStartBudgetMs: 10_000,
        capacity: 1,
      },
      { logger: log.logger },
    );
    try {
      const rec = recordingContext(join(dir, 'store-files-only'), log.logger);
      const result = await filesOnly.run(job(threeOutputPrompt('quiet', 3)), rec.ctx);
      expect(result.status).toBe('success');
      expect(rec.stored.size).toBe(9);
      expect(filesOnly.metrics().historyHits).toBe(0);
      expect(ending(rec, result)).toEqual(['execution_success', 'executing:null']);
      // The GPU said nothing of it (history never answered): the history the tab reads is derived from the record.
      expect(result.statusMessages).toEqual([]);
    } finally {
      await filesOnly.close();
    }
  });

  it('runs 50 jobs with several outputs each on 3 replicas, every file delivered once, none lost', async () => {
    const limit = pLimit(backend.capacity());
    const jobs = Array.from({ length: 50 }, (_, i) => ({
      j: job(threeOutputPrompt(`u${i % 10}/img`, 1 + (i % 3), i), `user${i % 10}`),
      i,
    }));
    const runs = await Promise.all(
      jobs.map(({ j, i }) =>
        limit(async () => {
          const rec = recordingContext(join(dir, 'stores', String(i)), log.logger);
          return { j, rec, result: await backend.run(j, rec.ctx) };
        }),
      ),
    );
    for (const { j, rec, result } of runs) {
      const batch = (j.prompt['1'] as { inputs: { batch_size: number } }).inputs.batch_size;
      expect(result.status, j.id).toBe('success');
      expect(rec.stored.size, j.id).toBe(3 * batch);
      expect(rec.storeCalls, j.id).toBe(3 * batch); // no duplicates even at the storeOutput level
      // every source file the GPU wrote for this job was delivered
      const gpuFiles = await filesUnder(join(dir, 'sfs-output', 'comfyume', j.id));
      expect(gpuFiles).toHaveLength(3 * batch);
      expect(ending(rec, result)).toEqual(['execution_success', 'executing:null']);
    }
    const m = backend.metrics();
    expect(m.fileToExecutedMs.count).toBeGreaterThanOrEqual(50 * 3);
    expect(m.historyPolls).toBeGreaterThan(m.historyHits);
    console.info('[serverless metrics, 50 jobs / 3 replicas, SFS poll 100 ms]', JSON.stringify(m));
  });
});
