/**
 * @fileoverview Row "panels": what the frontend asks on every `status` (the queue panel and the
 * history/assets sidebar: GET /api/queue, /api/history?max_items=64 and /api/jobs?limit=200, all
 * at once) with J finished jobs behind it — stock ComfyUI (the GPU simulator, which ran its J jobs
 * itself) vs the attendee's sidecar (which ran its J jobs through the relay). Time = the three
 * answers all received, sequential rounds, stock and platform alternating.
 */
import { ComfyClient } from '../../../kit/comfy/client';
import { ComfyHttp } from '../../../kit/comfy/http';
import { makeRow, type Row } from '../report';
import type { Attendee, RelayRig } from '../rig';
import { distribution, monoMs } from '../stats';
import { forPrompt, Tab } from '../tab';
import { promptBody, seeds, type WorkflowSize } from '../workflow';

export type PanelOptions = { jobs: number; reads: number; size: WorkflowSize; timeoutMs: number };

const PANEL_READS = ['/api/queue', '/api/history?max_items=64', '/api/jobs?limit=200&offset=0'];

/** Runs `jobs` prompts one after another on `url`, each to its end marker. */
async function runJobs(url: string, o: PanelOptions, name: string): Promise<void> {
  const tab = await Tab.open(url, `bench-panels-${name}-${process.pid}`);
  const comfy = new ComfyClient({ baseUrl: url, apiPrefix: '/api', timeoutMs: o.timeoutMs });
  const seed = seeds();
  try {
    for (let i = 0; i < o.jobs; i++) {
      const answer = await comfy.postPrompt(promptBody(tab.clientId, seed(), o.size));
      const id = answer.ok ? answer.body.prompt_id : undefined;
      if (!id) throw new Error(`${name}: POST /api/prompt answered ${answer.status}`);
      await tab.next(
        forPrompt('executing', id, (f) => f.data.node === null),
        o.timeoutMs,
      );
      tab.clear();
    }
  } finally {
    tab.close();
  }
}

async function readPanels(http: ComfyHttp): Promise<number> {
  const t0 = monoMs();
  const replies = await Promise.all(PANEL_READS.map((path) => http.request('GET', path)));
  const took = monoMs() - t0;
  const bad = replies.find((reply) => reply.status !== 200);
  if (bad) throw new Error(`a panel read answered ${bad.status}`);
  return took;
}

export async function panels(main: RelayRig, attendee: Attendee, o: PanelOptions): Promise<Row[]> {
  await runJobs(main.gpu.url, o, 'stock');
  await runJobs(attendee.url, o, 'platform');
  const sides = {
    stock: new ComfyHttp({ baseUrl: main.gpu.url, timeoutMs: o.timeoutMs }),
    platform: new ComfyHttp({ baseUrl: attendee.url, timeoutMs: o.timeoutMs }),
  };
  const times = { stock: [] as number[], platform: [] as number[] };
  for (let i = 0; i < o.reads; i++)
    for (const name of ['stock', 'platform'] as const)
      times[name].push(await readPanels(sides[name]));
  return [
    makeRow({
      id: 'panels',
      bench: 'panels',
      measure: 'queue + history panels refresh',
      unit: 'ms',
      better: 'lower',
      stock: distribution(times.stock),
      platform: distribution(times.platform),
      how: `${PANEL_READS.join(' + ')} sent together (what the frontend asks on each status), until all three answered; ${o.jobs} finished jobs on each side (txt2img ${o.size.width}×${o.size.height}), ${o.reads} sequential rounds per side, alternating; stock = the GPU simulator that ran its jobs, platform = the sidecar whose jobs ran through the relay.`,
    }),
  ];
}
