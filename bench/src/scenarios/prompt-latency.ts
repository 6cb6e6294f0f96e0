/**
 * @fileoverview Rows 1 and 2 from one series of runs, stock and platform alternating so machine
 * noise falls on both alike: Queue Prompt → first event (POST /api/prompt until the tab's socket
 * has `execution_start` for that prompt) and output file written → image visible (the GPU file's
 * mtime until GET /api/view on the attendee side has returned that image after `executed`).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ComfyClient } from '../../../kit/comfy/client';
import { makeRow, type Row } from '../report';
import type { Attendee, RelayRig } from '../rig';
import { distribution, monoMs, wallMs } from '../stats';
import { forPrompt, Tab } from '../tab';
import { promptBody, SAVE_NODE, seeds, type WorkflowSize } from '../workflow';

export type PromptLatencyOptions = {
  runs: number;
  warmup: number;
  size: WorkflowSize;
  timeoutMs: number;
};

type Image = { filename: string; subfolder: string; type: string };
type Side = {
  url: string;
  tab: Tab;
  /** The file the GPU wrote for this prompt's SaveImage. */
  gpuFile(promptId: string, image: Image): Promise<string>;
};
type Sample = { firstEventMs: number; visibleMs: number; finishedMs: number };

async function runOnce(side: Side, seed: number, o: PromptLatencyOptions): Promise<Sample> {
  const comfy = new ComfyClient({ baseUrl: side.url, apiPrefix: '/api', timeoutMs: o.timeoutMs });
  const body = promptBody(side.tab.clientId, seed, o.size);
  const t0 = monoMs();
  const answer = await comfy.postPrompt(body);
  if (!answer.ok || !answer.body.prompt_id)
    throw new Error(
      `POST /api/prompt answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`,
    );
  const id = answer.body.prompt_id;
  let measured: Omit<Sample, 'finishedMs'> | undefined;
  let failure: unknown;
  try {
    const start = await side.tab.next(forPrompt('execution_start', id), o.timeoutMs);
    const executed = await side.tab.next(
      forPrompt('executed', id, (f) => f.data.node === SAVE_NODE),
      o.timeoutMs,
    );
    const image = (executed.data.output as { images?: Image[] } | undefined)?.images?.[0];
    if (!image) throw new Error(`executed for node ${SAVE_NODE} named no image`);
    const view = await comfy.download(image);
    const bytes = view.bytes.byteLength;
    const visibleAt = wallMs();
    if (view.status !== 200 || bytes === 0)
      throw new Error(
        `GET /api/view answered ${view.status} (${bytes} bytes) right after executed`,
      );
    const written = await stat(await side.gpuFile(id, image), { bigint: true });
    measured = {
      firstEventMs: start.at - t0,
      visibleMs: visibleAt - Number(written.mtimeNs) / 1e6,
    };
  } catch (error) {
    failure = error;
  }
  // Runs never overlap: the next one starts after this one's end marker (`executing` with node null).
  const end = await side.tab
    .next(
      forPrompt('executing', id, (f) => f.data.node === null),
      o.timeoutMs,
    )
    .catch(() => undefined);
  side.tab.clear();
  if (failure || !measured) throw failure ?? new Error('no measurement');
  if (!end) throw new Error('no end marker (executing null) for the prompt');
  return { ...measured, finishedMs: end.at - t0 };
}

/** The relay tags outputs as comfyume/<jobId>/<nodeId>/…: the GPU's own file for this job and node. */
async function taggedFile(gpuOutput: string, jobId: string): Promise<string> {
  const dir = join(gpuOutput, 'comfyume', jobId, SAVE_NODE);
  const names = (await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.png'));
  if (!names[0]) throw new Error(`no GPU output under ${dir}`);
  return join(dir, names[0]);
}

export async function promptLatency(
  main: RelayRig,
  attendee: Attendee,
  o: PromptLatencyOptions,
): Promise<Row[]> {
  // Stock ComfyUI is the very GPU simulator the relay uses, asked directly: same server, same work.
  const stockTab = await Tab.open(main.gpu.url, `bench-stock-${process.pid}`);
  const platformTab = await Tab.open(attendee.url, `bench-platform-${process.pid}`);
  const stock: Side = {
    url: main.gpu.url,
    tab: stockTab,
    gpuFile: async (_id, image) => join(main.gpuDirs.output, image.subfolder, image.filename),
  };
  const platform: Side = {
    url: attendee.url,
    tab: platformTab,
    gpuFile: (id) => taggedFile(main.gpuDirs.output, id),
  };
  const seed = seeds();
  const samples = { stock: [] as Sample[], platform: [] as Sample[] };
  const failures = { stock: 0, platform: 0 };
  let firstError: string | undefined;
  try {
    for (let i = 0; i < o.warmup + o.runs; i++) {
      for (const name of ['stock', 'platform'] as const) {
        try {
          const sample = await runOnce(name === 'stock' ? stock : platform, seed(), o);
          if (i >= o.warmup) samples[name].push(sample);
        } catch (error) {
          failures[name]++;
          firstError ??= `${name}: ${(error as Error).message}`;
        }
      }
    }
  } finally {
    stockTab.close();
    platformTab.close();
  }
  if (samples.stock.length === 0 || samples.platform.length === 0)
    throw new Error(`no complete runs (${firstError ?? 'unknown'})`);
  const runs = `${o.runs} alternating runs per side after ${o.warmup} warm-up, txt2img ${o.size.width}×${o.size.height} ${o.size.steps} steps`;
  return [
    makeRow({
      id: 'first-event',
      bench: 'first-event',
      measure: 'Queue Prompt → first event',
      unit: 'ms',
      better: 'lower',
      stock: distribution(samples.stock.map((s) => s.firstEventMs)),
      platform: distribution(samples.platform.map((s) => s.firstEventMs)),
      how: `POST /api/prompt sent → execution_start for that prompt_id received on the tab's WS (stock: the GPU simulator directly; platform: through the sidecar); ${runs}.`,
      failures: failures.stock + failures.platform || undefined,
    }),
    makeRow({
      id: 'visible',
      bench: 'visible',
      measure: 'output written → image visible',
      unit: 'ms',
      better: 'lower',
      stock: distribution(samples.stock.map((s) => s.visibleMs)),
      platform: distribution(samples.platform.map((s) => s.visibleMs)),
      how: `mtime of the PNG the GPU wrote → GET /api/view (after the tab's executed) returned it in full on the attendee side; mtimes use the kernel's coarse clock (a few ms granularity) on both sides; ${runs}.`,
      failures: failures.stock + failures.platform || undefined,
    }),
    makeRow({
      id: 'finished',
      bench: 'first-event',
      measure: 'Queue Prompt → run finished',
      unit: 'ms',
      better: 'lower',
      stock: distribution(samples.stock.map((s) => s.finishedMs)),
      platform: distribution(samples.platform.map((s) => s.finishedMs)),
      how: `POST /api/prompt sent → the end marker (executing, node null) received: when the queue button frees up; includes the GPU work itself (the same on both sides); ${runs}.`,
      failures: failures.stock + failures.platform || undefined,
    }),
  ];
}
