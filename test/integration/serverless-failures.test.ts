// Serverless failures against the real simulator (3 replicas): GPU errors, cold starts, timeouts, bad prefixes, lost files.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServerlessBackend,
  type ServerlessConfig,
} from '../../relay/src/backends/serverless';
import type { RunnableJob } from '../../relay/src/backends/backend';
import { startSimulator, type SimulatorOptions } from '../../simulator/src/app';
import {
  memoryLogger,
  recordingContext,
  samplerPrompt,
  threeOutputPrompt,
  ending,
  runnableJob,
} from './serverless-harness';
import { until } from '../../kit/until';

let dir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-sl-failures-'));
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** A 3-replica simulator and a serverless backend on it, both stopped after the suite. */
async function setup(
  name: string,
  sim: Partial<SimulatorOptions> = {},
  cfg: Partial<ServerlessConfig> = {},
) {
  const root = join(dir, name);
  const simulator = await startSimulator({
    outputDir: join(root, 'sfs-output'),
    inputDir: join(root, 'sfs-input'),
    tempDir: join(root, 'gpu-temp'),
    replicas: 3,
    stepMs: 5,
    ...sim,
  });
  const log = memoryLogger();
  const backend = createServerlessBackend(
    {
      endpoint: simulator.url,
      sfsOutputDir: join(root, 'sfs-output'),
      pollMs: 100,
      historyPollMs: 300,
      settleMs: 1500,
      jobTimeoutMs: 10 * 60_000, // far beyond the test timeout: an error seen only at the timeout would fail the test
      coldStartBudgetMs: 30_000,
      capacity: 4,
      ...cfg,
    },
    { logger: log.logger },
  );
  cleanups.push(async () => {
    await backend.close();
    await simulator.close();
  });
  const run = async (prompt: Record<string, unknown>, extra: Partial<RunnableJob> = {}) => {
    const job = runnableJob(prompt, extra);
    const rec = recordingContext(join(root, 'store', job.id), log.logger);
    const result = await backend.run(job, rec.ctx);
    return { job, rec, result };
  };
  return { simulator, backend, log, run, root };
}

describe('serverless backend: failures', () => {
  it('surfaces a node failing on the GPU as a JobError with its node id, long before the timeout', async () => {
    const { run, backend } = await setup('fail-node', {
      failures: { failNodeTypes: ['ImageInvert'] },
    });
    const { job, rec, result } = await run(threeOutputPrompt('ok', 1));
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ nodeId: '4', nodeType: 'ImageInvert' });
    expect(result.error?.message).toMatch(/node 4 \(ImageInvert\)/);
    const seen = rec.sequence.messages(result, job.id);
    const error = seen.find((m) => m.type === 'execution_error');
    expect(error?.data).toMatchObject({
      prompt_id: job.id,
      node_id: '4',
      node_type: 'ImageInvert',
    });
    expect(ending(rec, result)).toEqual(['execution_error', 'executing:null']);
    expect(seen.some((m) => m.type === 'execution_success')).toBe(false);
    expect(backend.metrics().gpuErrorToJobErrorMs.count).toBe(1);
    console.info(
      '[serverless GPU error → JobError]',
      JSON.stringify(backend.metrics().gpuErrorToJobErrorMs),
    );
  });

  it('shows a cold start as warming_up, then runs the job', async () => {
    const { run, backend } = await setup('cold-start', { coldStartMs: 2500 });
    const { rec, result } = await run(threeOutputPrompt('cold', 1));
    expect(result.status).toBe('success');
    expect(rec.phases).toEqual(['submitting', 'warming_up', 'running']);
    expect(rec.stored.size).toBe(3);
    expect(backend.state()).toBe('ready');
  });

  it('rides out a burst of 502s from the load balancer', async () => {
    const { run } = await setup('burst', { failures: { http5xxBurst: { status: 502, count: 4 } } });
    const { rec, result } = await run(threeOutputPrompt('burst', 1));
    expect(result.status).toBe('success');
    expect(rec.phases).toContain('warming_up');
    expect(rec.submitted).toHaveLength(1);
  });

  it('gives up with "GPU endpoint unavailable" once the cold-start budget is spent', async () => {
    const { run, backend } = await setup(
      'never-warm',
      { coldStartMs: 10 * 60_000 },
      { coldStartBudgetMs: 2000 },
    );
    const { rec, result } = await run(threeOutputPrompt('never', 1));
    expect(result.status).toBe('error');
    expect(result.error?.message).toMatch(/^GPU endpoint unavailable: POST \/prompt: HTTP 503/);
    expect(rec.phases).toContain('warming_up');
    expect(rec.submitted).toEqual([]);
    expect(ending(rec, result)).toEqual(['execution_error', 'executing:null']);
    expect(backend.state()).toBe('down');
  });

  it('fails at the timeout with what was seen when the endpoint accepts a job that never finishes', async () => {
    const { run, simulator } = await setup('stall', { stepMs: 50 }, { jobTimeoutMs: 4000 });
    const { job, result } = await run(samplerPrompt(10_000)); // 10 000 steps × 50 ms: still running at the timeout
    expect(result.status).toBe('error');
    expect(result.error?.exceptionType).toBe('Timeout');
    expect(result.error?.message).toMatch(
      /^accepted by the endpoint; never seen in history on any replica \(\d+ polls, \d+ answered "not here"\); no outputs after \d+ s$/,
    );
    // The stalled prompt is not left burning the GPU: the interrupt reached the replica running it.
    await until(
      async () => {
        const queues = await Promise.all(
          simulator.replicas.map((r) =>
            fetch(`${r.url}/queue`).then(
              (res) => res.json() as Promise<{ queue_running: unknown[][] }>,
            ),
          ),
        );
        return queues.every(
          (q: { queue_running: unknown[][] }) =>
            !q.queue_running.some((item) => item[1] === job.id),
        );
      },
      30_000,
      'the stalled prompt to be interrupted',
    );
  });

  it('refuses a prefix that would escape before anything is submitted', async () => {
    const { run } = await setup('escape');
    const prompt = threeOutputPrompt('ok', 1);
    (prompt['5'] as { inputs: Record<string, unknown> }).inputs.filename_prefix =
      'a/../../../etc/x';
    const { rec, result } = await run(prompt);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({
      nodeId: '5',
      nodeType: 'SaveImage',
      exceptionType: 'PathEscape',
    });
    expect(result.error?.message).toMatch(/would save outside the output folder/);
    expect(rec.attempted).toEqual([]);
  });

  it('says so when history reports files that never appear on the shared volume', async () => {
    const { run } = await setup(
      'not-shared',
      {},
      { sfsOutputDir: join(dir, 'not-shared', 'wrong-mount'), missingOutputGraceMs: 1000 },
    );
    const { result } = await run(threeOutputPrompt('lost', 1));
    expect(result.status).toBe('error');
    expect(result.error?.message).toMatch(/never appeared in SFS_OUTPUT_DIR/);
  });
});
