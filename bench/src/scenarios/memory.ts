/**
 * @fileoverview Row 5: memory of one sidecar process (`node bin/comfyume.js sidecar`, exactly as
 * deployed) after warm-up with M open browser sockets and K finished jobs, against one idle
 * simulated ComfyUI process (`comfyume simulate`) as the stock reference. RSS comes from
 * /proc/<pid>/status (VmRSS), heap from process.memoryUsage() inside the child, both after a GC.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ComfyClient } from '../../../kit/comfy/client';
import { freePort } from '../../../kit/free-port';
import { freshSidecarBundle } from '../../../bin/sidecar-start.js';
import { launch, ready, startSidecarProcess } from '../processes';
import { makeRow, type Row } from '../report';
import { simulatorAt, type RelayRig, type Rig } from '../rig';
import { distribution } from '../stats';
import { forPrompt, Tab } from '../tab';
import { promptBody, seeds, type WorkflowSize } from '../workflow';

export type MemoryOptions = { sockets: number; jobs: number; samples: number; size: WorkflowSize };

type Sample = { rssMb: number; heapMb: number };

async function vmRssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

function askHeap(child: ChildProcess): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the memory probe did not answer')), 10_000);
    const onMessage = (message: { type?: string; usage?: NodeJS.MemoryUsage }) => {
      if (message?.type !== 'bench-mem' || !message.usage) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message.usage);
    };
    child.on('message', onMessage);
    child.send({ type: 'bench-mem' });
  });
}

async function sample(child: ChildProcess, count: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const usage = await askHeap(child); // the probe runs a full GC first
    out.push({ rssMb: (await vmRssKb(child.pid!)) / 1024, heapMb: usage.heapUsed / 1024 / 1024 });
    await sleep(200);
  }
  return out;
}

async function measureSidecar(rig: Rig, main: RelayRig, o: MemoryOptions): Promise<Sample[]> {
  const root = join(rig.root, 'memory', 'attendee');
  const local = await simulatorAt(root);
  let proc: Awaited<ReturnType<typeof startSidecarProcess>> | undefined;
  const tabs: Tab[] = [];
  try {
    const dirs = {
      input: join(root, 'input'),
      output: join(root, 'output'),
      temp: join(root, 'temp'),
      state: join(root, 'state'),
    };
    proc = await startSidecarProcess({
      dirs,
      userId: 'mem001',
      comfyUrl: local.url,
      relayUrl: main.url,
    });
    const url = proc.url;
    const comfy = new ComfyClient({ baseUrl: url, apiPrefix: '/api', timeoutMs: 120_000 });
    for (let i = 0; i < o.sockets; i++) tabs.push(await Tab.open(url, `mem-tab-${i}`));
    const seed = seeds();
    for (let k = 0; k < o.jobs; k++) {
      const tab = tabs[k % tabs.length]!;
      const answer = await comfy.postPrompt(promptBody(tab.clientId, seed(), o.size));
      const id = answer.ok ? answer.body.prompt_id : undefined;
      if (!id) throw new Error(`the sidecar refused a prompt (${answer.status})`);
      await tab.next(
        forPrompt('executing', id, (f) => f.data.node === null),
        120_000,
      );
      tab.clear();
    }
    await sleep(1_000); // let deferred work (output prefetch, state writes) finish before sampling
    return await sample(proc.child, o.samples);
  } finally {
    for (const tab of tabs) tab.close();
    await proc?.stop();
    await local.close();
  }
}

async function measureStock(rig: Rig, o: MemoryOptions): Promise<Sample[]> {
  const root = join(rig.root, 'memory', 'stock');
  const port = await freePort();
  const proc = launch(
    [
      'simulate',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--output-dir',
      join(root, 'output'),
      '--input-dir',
      join(root, 'input'),
      '--temp-dir',
      join(root, 'temp'),
    ],
    { LOG_LEVEL: 'warn' },
  );
  try {
    await ready(`http://127.0.0.1:${port}`, 'the simulator', proc);
    await sleep(1_000);
    return await sample(proc.child, o.samples);
  } finally {
    await proc.stop();
  }
}

export async function memory(rig: Rig, main: RelayRig, o: MemoryOptions): Promise<Row[]> {
  const stock = await measureStock(rig, o);
  const platform = await measureSidecar(rig, main, o);
  const from = freshSidecarBundle().file
    ? 'from its one-file build (dist/sidecar/, as deployed)'
    : 'from its TypeScript sources through tsx (no fresh build: not as deployed)';
  const shape = `sidecar (${from}) after ${o.sockets} open browser sockets and ${o.jobs} finished jobs (sockets still open) vs one idle \`comfyume simulate\` process; both started as \`node --expose-gc bin/comfyume.js …\` with a probe preloaded (the sidecar also with the node flags and allocator settings \`up\` and the image give it, bin/sidecar-start.js); ${o.samples} samples each, each after a full GC`;
  return [
    makeRow({
      id: 'memory-rss',
      bench: 'memory',
      measure: 'memory of one sidecar (RSS)',
      unit: 'MB',
      better: 'lower',
      stock: distribution(stock.map((s) => s.rssMb)),
      platform: distribution(platform.map((s) => s.rssMb)),
      how: `VmRSS from /proc/<pid>/status; ${shape}.`,
    }),
    makeRow({
      id: 'memory-heap',
      bench: 'memory',
      measure: 'memory of one sidecar (JS heap used)',
      unit: 'MB',
      better: 'lower',
      stock: distribution(stock.map((s) => s.heapMb)),
      platform: distribution(platform.map((s) => s.heapMb)),
      how: 'process.memoryUsage().heapUsed inside each process, same samples.',
    }),
  ];
}
