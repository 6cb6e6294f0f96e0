// The serverless backend's Bearer key (sent, never logged) and input staging (SFS copy, /upload/image), on the real simulator.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServerlessBackend,
  type ServerlessConfig,
} from '../../relay/src/backends/serverless';
import type { RunnableJob } from '../../relay/src/backends/backend';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import { memoryLogger, recordingContext, threeOutputPrompt } from './serverless-harness';

const API_KEY = `sk-comfyume-${randomUUID()}`;
let dir: string;
let sim: RunningSimulator;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-sl-auth-'));
  sim = await startSimulator({
    outputDir: join(dir, 'sfs-output'),
    inputDir: join(dir, 'sfs-input'),
    tempDir: join(dir, 'gpu-temp'),
    replicas: 3,
    stepMs: 5,
    apiKey: API_KEY,
    coldStartMs: 1500, // a few refused requests, so retries and their log lines happen too
  });
});
afterAll(async () => {
  for (const close of closers) await close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

function backendWith(cfg: Partial<ServerlessConfig>) {
  const log = memoryLogger();
  const backend = createServerlessBackend(
    {
      endpoint: sim.url,
      apiKey: API_KEY,
      sfsOutputDir: join(dir, 'sfs-output'),
      pollMs: 100,
      historyPollMs: 300,
      settleMs: 1500,
      jobTimeoutMs: 10 * 60_000,
      coldStartBudgetMs: 20_000,
      capacity: 2,
      ...cfg,
    },
    { logger: log.logger },
  );
  closers.push(() => backend.close());
  return { backend, log };
}

const job = (prompt: Record<string, unknown>, inputs: RunnableJob['inputs'] = []): RunnableJob => ({
  id: randomUUID(),
  userId: 'user001',
  prompt,
  extraData: {},
  outputsToExecute: [],
  inputs,
});

/** A small PNG in the relay's own upload store (where job.inputs[].file points). */
async function relayInput(name: string, shade: number) {
  const png = new PNG({ width: 8, height: 6 });
  png.data.fill(shade);
  const bytes = PNG.sync.write(png);
  const file = join(dir, 'relay-inputs', `${randomUUID()}.png`);
  await mkdir(join(dir, 'relay-inputs'), { recursive: true });
  await writeFile(file, bytes);
  return {
    path: `uploads/${name}`,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    file,
  };
}

const loadImagePrompt = (image: string) => ({
  '1': { class_type: 'LoadImage', inputs: { image } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'from-input' } },
});

describe('serverless backend: API key', () => {
  it('sends the key on every request and never writes it to logs, messages or results', async () => {
    const { backend, log } = backendWith({});
    const j = job(threeOutputPrompt('keyed', 1));
    const rec = recordingContext(join(dir, 'store-key'), log.logger);
    const result = await backend.run(j, rec.ctx);
    expect(result.status).toBe('success'); // the simulator answers 401 to any request without the key
    expect(log.lines.some((line) => line.includes('retrying'))).toBe(true);
    expect(log.lines.join('\n')).not.toContain(API_KEY);
    expect(JSON.stringify(rec.messages)).not.toContain(API_KEY);
    expect(JSON.stringify(result)).not.toContain(API_KEY);
    expect(JSON.stringify(await backend.objectInfo())).toContain('SaveImage');
  });

  it('turns a refused key into an actionable JobError that does not repeat the key', async () => {
    const wrong = `sk-wrong-${randomUUID()}`;
    const { backend, log } = backendWith({ apiKey: wrong });
    const rec = recordingContext(join(dir, 'store-wrong-key'), log.logger);
    const result = await backend.run(job(threeOutputPrompt('nokey', 1)), rec.ctx);
    expect(result.status).toBe('error');
    expect(result.error?.message).toMatch(
      /refused our credentials \(HTTP 401\); check SERVERLESS_API_KEY/,
    );
    const everything = [
      log.lines.join('\n'),
      JSON.stringify(rec.messages),
      JSON.stringify(result),
    ].join('\n');
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(API_KEY);
  });
});

describe('serverless backend: inputs travel with the job', () => {
  it('copies inputs into the shared input folder before submitting', async () => {
    const input = await relayInput('via-sfs.png', 40);
    const { backend, log } = backendWith({ sfsInputDir: join(dir, 'sfs-input') });
    const rec = recordingContext(join(dir, 'store-sfs-input'), log.logger);
    const result = await backend.run(job(loadImagePrompt(input.path), [input]), rec.ctx);
    expect(result.status).toBe('success');
    expect(await readFile(join(dir, 'sfs-input', 'uploads', 'via-sfs.png'))).toEqual(
      await readFile(input.file),
    );
    expect(rec.stored.size).toBe(1);
  });

  it('uploads inputs with /upload/image when there is no shared input folder', async () => {
    const input = await relayInput('via-upload.png', 200);
    const { backend, log } = backendWith({});
    const rec = recordingContext(join(dir, 'store-upload-input'), log.logger);
    const result = await backend.run(job(loadImagePrompt(input.path), [input]), rec.ctx);
    expect(result.status).toBe('success');
    expect(await readFile(join(dir, 'sfs-input', 'uploads', 'via-upload.png'))).toEqual(
      await readFile(input.file),
    );
  });

  it('fails clearly when an input is missing and nothing was staged', async () => {
    const { backend, log } = backendWith({ sfsInputDir: join(dir, 'sfs-input') });
    const rec = recordingContext(join(dir, 'store-no-input'), log.logger);
    const result = await backend.run(job(loadImagePrompt('uploads/never-sent.png')), rec.ctx);
    expect(result.status).toBe('error');
    expect(result.error?.exceptionType).toBe('prompt_outputs_failed_validation'); // the GPU's own words
    expect(result.error?.nodeId).toBe('1');
  });
});
