/**
 * @fileoverview Row 3: `/view` throughput for a ~1 MB PNG with N concurrent keep-alive clients for
 * a bounded time — the attendee's ComfyUI asked directly (stock) vs through the sidecar's proxy.
 * The clients run in the load-client child process and the sidecar in its own process (as
 * deployed), so the proxy does not share an event loop with the ComfyUI it proxies; rounds
 * alternate stock and platform.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { LoadClient } from '../load/child';
import type { ViewResult } from '../load/protocol';
import { makeRow, type Row } from '../report';
import { startSidecarProcess } from '../processes';
import type { Attendee, RelayRig } from '../rig';
import { distribution, value } from '../stats';

export type ViewOptions = {
  concurrency: number;
  durationMs: number;
  rounds: number;
  maxRequests: number;
};

/** Random pixels do not compress, so 512×512 RGBA is a ~1 MB PNG, like a real generated image. */
function noisePng(): Buffer {
  const png = new PNG({ width: 512, height: 512 });
  png.data = randomBytes(512 * 512 * 4);
  return PNG.sync.write(png);
}

export async function viewThroughput(
  main: RelayRig,
  attendee: Attendee,
  load: LoadClient,
  o: ViewOptions,
): Promise<Row[]> {
  const png = noisePng();
  await mkdir(join(attendee.dirs.output, 'bench'), { recursive: true });
  await writeFile(join(attendee.dirs.output, 'bench', 'view-1mb.png'), png);
  const path = '/api/view?filename=view-1mb.png&subfolder=bench&type=output';
  const totals = { stock: [] as ViewResult[], platform: [] as ViewResult[] };
  // A sidecar process of its own in front of the same attendee ComfyUI (own state folder and user).
  const sidecar = await startSidecarProcess({
    dirs: { ...attendee.dirs, state: `${attendee.dirs.state}-view` },
    userId: 'view001',
    comfyUrl: attendee.local.url,
    relayUrl: main.url,
  });
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const [name, base] of [
        ['stock', attendee.local.url],
        ['platform', sidecar.url],
      ] as const) {
        const result = await load.run(
          {
            cmd: 'view',
            url: `${base}${path}`,
            concurrency: o.concurrency,
            durationMs: o.durationMs,
            maxRequests: o.maxRequests,
          },
          o.durationMs + 60_000,
        );
        totals[name].push(result);
      }
    }
  } finally {
    await sidecar.stop();
  }
  const sum = (list: ViewResult[], f: (r: ViewResult) => number) =>
    list.reduce((a, r) => a + f(r), 0);
  const side = (list: ViewResult[]) => {
    const seconds = sum(list, (r) => r.elapsedMs) / 1000;
    const requests = sum(list, (r) => r.requests);
    return {
      requests,
      failures: sum(list, (r) => r.failures),
      rps: value(requests, requests / seconds),
      mbps: value(requests, sum(list, (r) => r.bytes) / 1e6 / seconds),
      latency: distribution(list.flatMap((r) => r.latenciesMs)),
    };
  };
  const stock = side(totals.stock);
  const platform = side(totals.platform);
  if (stock.requests === 0 || platform.requests === 0)
    throw new Error('no /view request completed');
  const failures = stock.failures + platform.failures || undefined;
  const shape = `${(png.length / 1e6).toFixed(2)} MB PNG, ${o.concurrency} concurrent keep-alive clients in a separate process, ${o.rounds} × ${o.durationMs / 1000} s per side (alternating)`;
  const row = (
    id: string,
    measure: string,
    unit: string,
    better: 'lower' | 'higher',
    pick: (s: typeof stock) => Row['stock'],
    how: string,
  ) =>
    makeRow({
      id,
      bench: 'view',
      measure,
      unit,
      better,
      stock: pick(stock),
      platform: pick(platform),
      how,
      failures,
    });
  return [
    row(
      'view-rps',
      '/view throughput',
      'req/s',
      'higher',
      (s) => s.rps,
      `GET /api/view of a ${shape}; stock = the attendee's ComfyUI directly, platform = the same file through a 'comfyume sidecar' process's proxy.`,
    ),
    row(
      'view-mbps',
      '/view throughput',
      'MB/s',
      'higher',
      (s) => s.mbps,
      'bytes received / wall time of the same runs.',
    ),
    row(
      'view-latency',
      '/view request time',
      'ms',
      'lower',
      (s) => s.latency,
      'per-request time (request sent → last byte) in the same runs.',
    ),
  ];
}
