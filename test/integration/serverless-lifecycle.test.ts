// Cancel and relay-restart resume of the serverless backend against the real simulator (3 replicas).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServerlessBackend,
  type ServerlessBackend,
  type ServerlessConfig,
} from '../../relay/src/backends/serverless';
import type { RunnableJob } from '../../relay/src/backends/backend';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import {
  filesUnder,
  memoryLogger,
  recordingContext,
  samplerPrompt,
  ending,
  runnableJob,
} from './serverless-harness';
import { until } from '../../kit/until';

let dir: string;
let sim: RunningSimulator;
const log = memoryLogger();
const backends: ServerlessBackend[] = [];

const config = (): ServerlessConfig => ({
  endpoint: sim.url,
  sfsOutputDir: join(dir, 'sfs-output'),
  pollMs: 100,
  historyPollMs: 300,
  settleMs: 1500,
  jobTimeoutMs: 10 * 60_000,
  coldStartBudgetMs: 10_000,
  capacity: 4,
  resumeProbeMs: 6000, // ~20 probe rounds: a replica holding the job is missed with odds (2/3)^40
  cancelGraceMs: 5000,
});

/** A fresh backend, as a restarted relay would create. */
function relay(): ServerlessBackend {
  const backend = createServerlessBackend(config(), { logger: log.logger });
  backends.push(backend);
  return backend;
}

/** How many replicas hold a history entry for the job (the GPU ran it that many times). */
async function historyCount(id: string): Promise<number> {
  const answers = await Promise.all(
    sim.replicas.map((r) =>
      fetch(`${r.url}/history/${id}`).then((res) => res.json() as Promise<Record<string, unknown>>),
    ),
  );
  return answers.filter((a: Record<string, unknown>) => id in a).length;
}

const job = (prompt: Record<string, unknown>, resume?: RunnableJob['resume']): RunnableJob =>
  runnableJob(prompt, resume ? { resume } : {});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-sl-lifecycle-'));
  sim = await startSimulator({
    outputDir: join(dir, 'sfs-output'),
    inputDir: join(dir, 'sfs-input'),
    tempDir: join(dir, 'gpu-temp'),
    replicas: 3,
    stepMs: 20,
  });
});
afterAll(async () => {
  for (const backend of backends) await backend.close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('serverless backend: cancel', () => {
  it('interrupts a running job on the GPU and ends it interrupted', async () => {
    const backend = relay();
    const j = job(samplerPrompt(5000));
    const rec = recordingContext(join(dir, 'store-cancel'), log.logger);
    const running = backend.run(j, rec.ctx);
    await until(() => rec.phases.includes('running'), 30_000, 'the job to be submitted');
    await backend.cancel(j.id);
    const result = await running;
    expect(result.status).toBe('interrupted');
    expect(ending(rec, result)).toEqual(['execution_interrupted', 'executing:null']);
    expect(rec.sequence.history(result, j.id).at(-1)?.[0]).toBe('execution_interrupted');
    // The GPU really stopped it: no replica still runs or queues it.
    await until(
      async () => {
        const queues = await Promise.all(
          sim.replicas.map((r) =>
            fetch(`${r.url}/queue`).then(
              (res) =>
                res.json() as Promise<{ queue_running: unknown[][]; queue_pending: unknown[][] }>,
            ),
          ),
        );
        return queues.every((q: { queue_running: unknown[][]; queue_pending: unknown[][] }) =>
          [...q.queue_running, ...q.queue_pending].every((item) => item[1] !== j.id),
        );
      },
      30_000,
      'the job to leave every replica',
    );
  });
});

describe('serverless backend: resume after a relay restart', () => {
  it('with submittedAt: never posts again, takes files written while the relay was down', async () => {
    const first = relay();
    const j = job(samplerPrompt(40));
    const before = recordingContext(join(dir, 'store-resume-a'), log.logger);
    const dying = first.run(j, before.ctx);
    await until(() => before.submitted.length === 1, 30_000, 'the first run to submit');
    before.controller.abort(new Error('relay shutting down'));
    await expect(dying).rejects.toThrow('relay shutting down');
    await first.close();
    // The GPU finishes while no relay watches.
    await until(async () => (await historyCount(j.id)) === 1, 30_000, 'the GPU to finish');
    const second = relay();
    const after = recordingContext(join(dir, 'store-resume-a'), log.logger);
    const result = await second.run(
      {
        ...j,
        resume: {
          submittedAt: Date.now() - 1000,
          submitAttemptedAt: Date.now() - 1100,
          backendRef: j.id,
        },
      },
      after.ctx,
    );
    expect(result.status).toBe('success');
    expect(after.attempted).toEqual([]);
    expect(after.submitted).toEqual([]);
    expect(after.stored.size).toBe(1);
    expect(await filesUnder(join(dir, 'sfs-output', 'comfyume', j.id))).toHaveLength(1);
    expect(await historyCount(j.id)).toBe(1);
  });

  it('with only submitAttemptedAt and the POST had landed: finds it and does not post again', async () => {
    const j = job(samplerPrompt(40));
    // The dead relay's POST (tagged prompt) reached a replica; then the relay died before persisting the 200.
    const { tagPrompt } = await import('../../relay/src/backends/tagging');
    const posted = await fetch(`${sim.url}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: tagPrompt(j.prompt, j.id).prompt,
        prompt_id: j.id,
        client_id: 'comfyume-relay',
      }),
    });
    expect(posted.status).toBe(200);
    const rec = recordingContext(join(dir, 'store-resume-b'), log.logger);
    const result = await relay().run({ ...j, resume: { submitAttemptedAt: Date.now() } }, rec.ctx);
    expect(result.status).toBe('success');
    expect(rec.attempted).toEqual([]);
    expect(rec.submitted).toEqual([j.id]);
    expect(rec.stored.size).toBe(1);
    expect(await historyCount(j.id)).toBe(1);
  });

  it('with only submitAttemptedAt and the POST never landed: probes, then submits once', async () => {
    const j = job(samplerPrompt(5));
    const rec = recordingContext(join(dir, 'store-resume-c'), log.logger);
    const result = await relay().run({ ...j, resume: { submitAttemptedAt: Date.now() } }, rec.ctx);
    expect(result.status).toBe('success');
    expect(rec.attempted).toEqual([j.id]);
    expect(rec.submitted).toEqual([j.id]);
    expect(rec.stored.size).toBe(1);
    expect(await historyCount(j.id)).toBe(1);
  });
});
