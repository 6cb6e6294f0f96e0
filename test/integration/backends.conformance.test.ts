/**
 * One conformance suite for every Backend (as BullMQ's adapter-conformance): each entry starts a
 * GPU and a backend for it; the same tests run against all of them. Adding a backend = one entry
 * in `entries` (the serverless backend adds its own: a simulator with replicas and a shared SFS).
 *
 * The backend is driven directly through a recording RunContext whose storeOutput is the relay's
 * real OutputStore, so "outputs stored before `executed`" is checked at the moment of each emit.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, RunContext, RunnableJob, RunResult } from '../../relay/src/backends/backend';
import { DirectBackend } from '../../relay/src/backends/direct/direct';
import { createServerlessBackend } from '../../relay/src/backends/serverless';
import { createBackends } from '../../relay/src/backends/factory';
import { loadConfig } from '../../relay/src/config';
import { OutputStore, type StoredIndex } from '../../relay/src/outputs/output-store';
import { startSimulator } from '../../simulator/src/app';
import { RenderedSequence } from '../support/rendered-sequence';
import { startSimulatedGpu } from '../support/simulated-gpu';
import { startWorkerRig } from '../support/worker-rig';
import { until } from '../../kit/until';
import { ADMIN, SECRET } from './relay-harness';

const silent = pino({ level: 'silent' });

type GpuOptions = { failNodeTypes: string[]; stepMs: number; scratch: string };
type GpuUnderTest = {
  backend: Backend;
  /** What a relay restarted after a crash builds for the same GPU (the first backend is closed if it can be). */
  resumeBackend(): Promise<Backend>;
  /** How many prompts the GPU side accepted (POST /prompt), to prove nothing was submitted twice. */
  submits(): number;
  close(): Promise<void>;
};
type Entry = { name: string; start(options: GpuOptions): Promise<GpuUnderTest> };

const entries: Entry[] = [
  {
    name: 'direct (simulator over HTTP + WS)',
    async start({ failNodeTypes, stepMs, scratch }) {
      const sim = await startSimulator({
        port: 0,
        outputDir: join(scratch, 'out'),
        inputDir: join(scratch, 'in'),
        tempDir: join(scratch, 'tmp'),
        stepMs,
        previewMethod: 'auto',
        failures: { failNodeTypes },
      });
      const make = () =>
        new DirectBackend({ url: sim.url, capacity: 1, coldStartBudgetMs: 10_000, logger: silent });
      const backend = make();
      await until(() => backend.state() === 'ready', 10_000, 'GPU socket');
      const extra: Backend[] = [];
      return {
        backend,
        resumeBackend: async () => {
          await backend.close(); // the relay that submitted is gone
          const next = make();
          extra.push(next);
          return next;
        },
        submits: () => sim.replicas[0]!.context.counter.number,
        close: async () => {
          await Promise.all([backend, ...extra].map((b) => b.close()));
          await sim.close();
        },
      };
    },
  },
  {
    name: 'serverless (simulator: 3 replicas behind a round-robin balancer, shared SFS)',
    async start({ failNodeTypes, stepMs, scratch }) {
      const sfs = join(scratch, 'sfs');
      const sim = await startSimulator({
        port: 0,
        outputDir: join(sfs, 'output'),
        inputDir: join(sfs, 'input'),
        tempDir: join(scratch, 'tmp'),
        stepMs,
        previewMethod: 'auto',
        replicas: 3,
        failures: { failNodeTypes },
      });
      const make = () =>
        createServerlessBackend(
          {
            endpoint: sim.url,
            sfsOutputDir: join(sfs, 'output'),
            sfsInputDir: join(sfs, 'input'),
            pollMs: 100,
            historyPollMs: 300,
            settleMs: 1500,
            jobTimeoutMs: 120_000,
            coldStartBudgetMs: 10_000,
            capacity: 2,
            resumeProbeMs: 3_000,
          },
          { logger: silent },
        );
      const backend = make();
      const extra: Backend[] = [];
      return {
        backend,
        resumeBackend: async () => {
          await backend.close(); // the relay that submitted is gone
          const next = make();
          extra.push(next);
          return next;
        },
        // Every replica counts the prompts it was POSTed; their sum is what the endpoint accepted.
        submits: () => sim.replicas.reduce((sum, r) => sum + r.context.counter.number, 0),
        close: async () => {
          await Promise.all([backend, ...extra].map((b) => b.close()));
          await sim.close();
        },
      };
    },
  },
  {
    name: 'pull worker (comfyume worker beside a simulator, over its outbound socket)',
    async start({ failNodeTypes, stepMs, scratch }) {
      const sim = await startSimulator({
        port: 0,
        outputDir: join(scratch, 'out'),
        inputDir: join(scratch, 'in'),
        tempDir: join(scratch, 'tmp'),
        stepMs,
        previewMethod: 'auto',
        failures: { failNodeTypes },
      });
      const rig = await startWorkerRig(sim.url, scratch);
      return {
        backend: rig.backend(),
        // The relay side dies and comes back; the worker (and its GPU) go on and reconnect.
        resumeBackend: () => rig.restartRelaySide(),
        submits: () => sim.replicas[0]!.context.counter.number,
        close: async () => {
          await rig.close();
          await sim.close();
        },
      };
    },
  },
  {
    name: 'simulated (INFERENCE_MODE=simulated)',
    async start({ failNodeTypes, stepMs }) {
      // The caller starts the simulator; the relay's factory gets its URL.
      const gpu = await startSimulatedGpu({ failures: { failNodeTypes }, stepMs });
      const config = loadConfig({ RELAY_SECRET: SECRET, ADMIN_TOKEN: ADMIN, ...gpu.env });
      const set = await createBackends(config, { logger: silent });
      const backend = set.backends[0]!;
      await until(() => backend.state() === 'ready', 10_000, 'GPU socket');
      return {
        backend,
        resumeBackend: async () => backend,
        submits: () => gpu.simulator.replicas[0]!.context.counter.number,
        close: async () => {
          await set.close();
          await gpu.close();
        },
      };
    },
  },
];

type Recorder = {
  ctx: RunContext;
  abort: AbortController;
  /** The GPU's own messages the backend forwarded. */
  emitted: { type: string; data: Record<string, unknown> }[];
  /** What the tab sees of the run (the sidecar's sequence over the backend's messages, evidence and result). */
  sequence: RenderedSequence;
  phases: string[];
  marks: { attempted?: string; submitted?: string; attemptedAt?: number; submittedAt?: number };
  missingAtEmit: string[];
};

function recorder(store: OutputStore, userId: string, jobId: string): Recorder {
  const abort = new AbortController();
  const rec: Recorder = {
    abort,
    emitted: [],
    sequence: new RenderedSequence(),
    phases: [],
    marks: {},
    missingAtEmit: [],
    ctx: undefined as unknown as RunContext,
  };
  const checkStored = (output: unknown) => {
    for (const items of Object.values((output ?? {}) as Record<string, unknown[]>)) {
      for (const item of items as {
        filename?: string;
        subfolder?: string;
        type?: 'output' | 'temp';
      }[]) {
        if (!item?.filename) continue;
        const file = join(
          store.userDir(userId, item.type ?? 'output'),
          item.subfolder ?? '',
          item.filename,
        );
        if (!existsSync(file)) rec.missingAtEmit.push(file);
      }
    }
  };
  rec.ctx = {
    signal: abort.signal,
    logger: silent,
    phase: async (state) => void rec.phases.push(state),
    markSubmitAttempted: async (ref) =>
      void Object.assign(rec.marks, { attempted: ref, attemptedAt: Date.now() }),
    markSubmitted: async (ref) =>
      void Object.assign(rec.marks, { submitted: ref, submittedAt: Date.now() }),
    emit: async (message) => {
      if (message.type === 'executed') checkStored(message.data.output);
      rec.emitted.push(message);
      rec.sequence.gpu(message);
    },
    evidence: async (fact) => {
      if (fact.kind === 'output') checkStored(fact.output);
      rec.sequence.evidence(fact);
    },
    preview: () => undefined,
    storeOutput: (found) => store.store(userId, jobId, found),
  };
  return rec;
}

const twoOutputs = (prefix: string) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 1, color: 255 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
  '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
});
const sampler = (steps: number) => ({
  '4': {
    class_type: 'CheckpointLoaderSimple',
    inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' },
  },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { clip: ['4', 1], text: 'a cat' } },
  '7': { class_type: 'CLIPTextEncode', inputs: { clip: ['4', 1], text: '' } },
  '3': {
    class_type: 'KSampler',
    inputs: {
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
      seed: 1,
      steps,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
    },
  },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'slow/out' } },
});
const job = (prompt: Record<string, unknown>, resume?: RunnableJob['resume']): RunnableJob => ({
  id: randomUUID(),
  userId: 'u1',
  prompt,
  extraData: {},
  outputsToExecute: [],
  inputs: [],
  resume,
});

describe.each(entries)('Backend conformance: $name', (entry) => {
  let scratch: string;
  let gpu: GpuUnderTest | undefined;
  let store: OutputStore;
  const start = async (options: Partial<GpuOptions> = {}) => {
    gpu = await entry.start({
      failNodeTypes: [],
      stepMs: 20,
      scratch: await mkdtemp(join(scratch, 'gpu-')),
      ...options,
    });
    return gpu;
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'comfyume-conformance-'));
    const index = new Map<string, string>();
    const stored: StoredIndex = {
      storedOutput: async (jobId, key) => index.get(`${jobId}|${key}`),
      recordStoredOutput: async (jobId, key, item) => void index.set(`${jobId}|${key}`, item),
    };
    store = new OutputStore(join(scratch, 'store'), stored);
  });
  afterEach(async () => {
    await gpu?.close();
    gpu = undefined;
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('runs a job to success with its outputs stored in the user store before `executed`', async () => {
    const { backend, submits } = await start();
    const j = job(twoOutputs('conf/img'));
    const rec = recorder(store, j.userId, j.id);
    const result = await backend.run(j, rec.ctx);
    expect(result.status).toBe('success');
    expect(result.outputs['2']!.images).toEqual([
      { filename: 'img_00001_.png', subfolder: 'conf', type: 'output' },
    ]);
    const preview = (result.outputs['3']!.images as { filename: string; type: string }[])[0]!;
    expect(preview.type).toBe('temp');
    expect(existsSync(join(store.userDir('u1', 'output'), 'conf', 'img_00001_.png'))).toBe(true);
    expect(existsSync(join(store.userDir('u1', 'temp'), preview.filename))).toBe(true);
    expect(rec.missingAtEmit).toEqual([]);
    const seen = rec.sequence.messages(result, j.id);
    expect(seen.every((m) => m.data.prompt_id === j.id)).toBe(true);
    const types = seen.map((m) => m.type);
    expect(types).toContain('execution_success');
    expect(types.filter((t) => t === 'executed')).toHaveLength(2);
    expect(rec.marks.attemptedAt).toBeLessThanOrEqual(rec.marks.submittedAt!);
    expect(submits()).toBe(1);
  });

  it('surfaces a runtime node error as a JobError naming the node', async () => {
    const { backend } = await start({ failNodeTypes: ['ImageInvert'] });
    const j = job({
      '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color: 0 } },
      '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'never' } },
    });
    const rec = recorder(store, j.userId, j.id);
    const t0 = Date.now();
    const result = await backend.run(j, rec.ctx);
    console.log(`[conformance ${entry.name}] GPU node error surfaced after ${Date.now() - t0} ms`);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ nodeId: '2', nodeType: 'ImageInvert' });
    expect(result.error!.message).toMatch(/ImageInvert/);
    expect(result.error!.exceptionMessage).toMatch(/Simulated failure/);
    const error = rec.sequence.messages(result, j.id).find((m) => m.type === 'execution_error');
    expect(error?.data).toMatchObject({ node_id: '2', node_type: 'ImageInvert', prompt_id: j.id });
  });

  it('interrupts a running job on cancel', async () => {
    const { backend } = await start({ stepMs: 50 });
    const j = job(sampler(200));
    const rec = recorder(store, j.userId, j.id);
    const run = backend.run(j, rec.ctx);
    await until(
      () => rec.marks.submittedAt !== undefined && rec.phases.includes('running'),
      30_000,
      'job running',
    );
    await new Promise((r) => setTimeout(r, 300));
    await backend.cancel(j.id);
    const result: RunResult = await run;
    expect(result.status).toBe('interrupted');
    expect(result.outputs['9']).toBeUndefined();
  });

  it('resumes a submitted job after its relay died, without submitting it again', async () => {
    const g = await start({ stepMs: 30 });
    const j = job({
      ...sampler(15),
      '10': { class_type: 'PreviewImage', inputs: { images: ['8', 0] } },
    });
    const first = recorder(store, j.userId, j.id);
    const run = g.backend.run(j, first.ctx);
    run.catch(() => undefined);
    await until(() => first.marks.submittedAt !== undefined, 30_000, 'submitted');
    first.abort.abort('shutdown'); // the relay process dies (its run stops; the GPU goes on)
    await run.then(
      () => undefined,
      () => undefined,
    );
    const resumed = {
      ...j,
      resume: {
        submitAttemptedAt: first.marks.attemptedAt,
        submittedAt: first.marks.submittedAt,
        backendRef: first.marks.submitted,
      },
    };
    const second = recorder(store, j.userId, j.id);
    const result = await (await g.resumeBackend()).run(resumed, second.ctx);
    expect(result.status).toBe('success');
    expect(result.outputs['9']!.images).toEqual([
      { filename: expect.stringMatching(/^out_\d{5}_\.png$/), subfolder: 'slow', type: 'output' },
    ]);
    expect(second.sequence.messages(result, j.id).some((m) => m.type === 'execution_success')).toBe(
      true,
    );
    expect(second.marks.attemptedAt).toBeUndefined();
    expect(g.submits()).toBe(1);
  });

  it('submits a resumed job whose earlier submit attempt never reached the GPU, once', async () => {
    const g = await start();
    const j = job(twoOutputs('late/img'), {
      submitAttemptedAt: Date.now() - 5_000,
      backendRef: 'comfyume-relay-dead',
    });
    const rec = recorder(store, j.userId, j.id);
    const result = await g.backend.run(j, rec.ctx);
    expect(result.status).toBe('success');
    expect(g.submits()).toBe(1);
  });
});
