/**
 * @fileoverview Test harness for the serverless backend: a real RunContext whose storeOutput
 * copies files into a per-user store (ComfyUI naming, idempotent per source path), a recording
 * of every message, phase and mark, prompts for the simulator, and a real pino log captured in
 * memory (to prove the API key never reaches it).
 */
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, posix } from 'node:path';
import { Writable } from 'node:stream';
import pLimit from 'p-limit';
import pino, { type Logger } from 'pino';
import type { JobFact } from '../../protocol/src/index';
import type {
  FoundOutput,
  RunContext,
  RunResult,
  RunnableJob,
} from '../../relay/src/backends/backend';
import { RenderedSequence } from '../support/rendered-sequence';

export type Recorded = {
  ctx: RunContext;
  controller: AbortController;
  /** What the backend forwarded as the GPU's own messages. */
  messages: { type: string; data: Record<string, unknown> }[];
  /** What the backend established itself. */
  facts: JobFact[];
  /** The tab's messages for the run (the sidecar's sequence over messages, facts and the result). */
  sequence: RenderedSequence;
  phases: string[];
  attempted: string[];
  submitted: string[];
  /** source path → the item storeOutput returned; `storeCalls` counts every call. */
  stored: Map<string, { filename: string; subfolder: string; type: 'output' | 'temp' }>;
  found: FoundOutput[];
  storeCalls: number;
};

/** A log sink in memory: every line pino writes, as text. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** `<stem>_<NNNNN>_<ext>` with the counter after existing files, as ComfyUI's get_save_image_path does. */
async function nextName(dir: string, stem: string, ext: string): Promise<string> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  let max = 0;
  for (const entry of entries) {
    const match = entry.startsWith(`${stem}_`)
      ? /^(\d+)_/.exec(entry.slice(stem.length + 1))
      : null;
    if (match) max = Math.max(max, Number(match[1]));
  }
  return `${stem}_${String(max + 1).padStart(5, '0')}_${ext}`;
}

export function recordingContext(storeDir: string, logger: Logger): Recorded {
  const controller = new AbortController();
  const serial = pLimit(1); // one writer: the counter must not race
  const rec: Recorded = {
    controller,
    messages: [],
    facts: [],
    sequence: new RenderedSequence(),
    phases: [],
    attempted: [],
    submitted: [],
    stored: new Map(),
    found: [],
    storeCalls: 0,
    ctx: undefined as never,
  };
  rec.ctx = {
    signal: controller.signal,
    logger,
    phase: async (state) => void rec.phases.push(state),
    markSubmitAttempted: async (ref) => void rec.attempted.push(ref),
    markSubmitted: async (ref) => void rec.submitted.push(ref),
    emit: async (message) => {
      rec.messages.push(structuredClone(message));
      rec.sequence.gpu(message);
    },
    evidence: async (fact) => {
      rec.facts.push(structuredClone(fact));
      rec.sequence.evidence(fact);
    },
    preview: () => {},
    storeOutput: (found) =>
      serial(async () => {
        rec.storeCalls++;
        const source = 'path' in found.source ? found.source.path : found.source.url;
        const known = rec.stored.get(source);
        if (known) return known;
        rec.found.push(found);
        const subfolder =
          posix.dirname(found.originalPrefix) === '.' ? '' : posix.dirname(found.originalPrefix);
        const dir = join(storeDir, found.type, subfolder);
        await mkdir(dir, { recursive: true });
        const filename = await nextName(dir, posix.basename(found.originalPrefix), found.extension);
        await copyFile(source, join(dir, filename));
        const item = { filename, subfolder, type: found.type };
        rec.stored.set(source, item);
        return item;
      }),
  };
  return rec;
}

export const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

/** Every file under a folder, relative, POSIX. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      posix.join(
        ...join(e.parentPath, e.name)
          .slice(dir.length + 1)
          .split(/[\\/]/),
      ),
    )
    .sort();
}

/** EmptyImage(batch) → SaveImage "<prefix>", PreviewImage, and an inverted SaveImage in a subfolder. */
export function threeOutputPrompt(prefix: string, batch = 2, color = 0): Record<string, unknown> {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 12, batch_size: batch, color } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
    '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    '4': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    '5': {
      class_type: 'SaveImage',
      inputs: { images: ['4', 0], filename_prefix: `inverted/${prefix}` },
    },
  };
}

/** txt2img whose KSampler takes `steps` × the simulator's stepMs. */
export function samplerPrompt(steps: number): Record<string, unknown> {
  return {
    '4': {
      class_type: 'CheckpointLoaderSimple',
      inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' },
    },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat', clip: ['4', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] } },
    '3': {
      class_type: 'KSampler',
      inputs: {
        seed: 1,
        steps,
        cfg: 7,
        sampler_name: 'euler',
        scheduler: 'normal',
        denoise: 1,
        model: ['4', 0],
        positive: ['6', 0],
        negative: ['7', 0],
        latent_image: ['5', 0],
      },
    },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'sampled' } },
  };
}

export const ext = (name: string) => extname(name);
export const parent = (path: string) => dirname(path);

/** The last two messages the tab sees: the terminal message, then ComfyUI's end-of-prompt `executing null`. */
export const ending = (rec: Recorded, result: RunResult, jobId?: string): string[] =>
  rec.sequence
    .messages(result, jobId)
    .slice(-2)
    .map((m) => (m.type === 'executing' ? `executing:${String(m.data.node)}` : m.type));

/** A job as the scheduler hands it to a backend: user001's, a fresh id, nothing else unless given. */
export const runnableJob = (
  prompt: Record<string, unknown>,
  extra: Partial<RunnableJob> = {},
): RunnableJob => ({
  id: randomUUID(),
  userId: 'user001',
  prompt,
  extraData: {},
  outputsToExecute: [],
  inputs: [],
  ...extra,
});
