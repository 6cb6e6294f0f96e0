/**
 * @fileoverview Row 6, second shape: the whole event path a tab sees — relay publisher → Redis
 * stream → relay hub → a sidecar's relay socket → its merge pipeline → the browser tab. S
 * `comfyume sidecar` processes (one user each, in front of their own simulated ComfyUI) with T
 * tabs each, all tabs held by the load-client process. Stock = the same S ComfyUIs with T tabs
 * each, send_sync of the same message to the same tab. Each event goes to one tab.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RunningSimulator } from '../../../simulator/src/app';
import type { LoadClient } from '../load/child';
import { startSidecarProcess, type ProductProcess } from '../processes';
import { makeRow, type Row } from '../report';
import { simulatorAt, type RelayRig, type Rig } from '../rig';
import { distribution } from '../stats';
import { measureEvents, type Outcome } from './event-measure';

export type SidecarEventOptions = {
  sidecars: number;
  tabsPerSidecar: number;
  events: number;
  intervalMs: number;
};

const HELLO = JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } });
const userId = (s: number) => `es${String(s).padStart(3, '0')}`;
const tabId = (s: number, t: number) => `tab-${s}-${t}`;
const ws = (url: string) => url.replace(/^http/, 'ws');

export async function eventSidecars(
  rig: Rig,
  main: RelayRig,
  load: LoadClient,
  o: SidecarEventOptions,
): Promise<Row[]> {
  const tabs = Array.from({ length: o.sidecars }, (_, s) =>
    Array.from({ length: o.tabsPerSidecar }, (_, t) => ({ s, t })),
  ).flat();
  // Consecutive events go to different sidecars, as attendees' events interleave.
  const target = (seq: number) =>
    tabs[
      (seq % o.sidecars) * o.tabsPerSidecar + (Math.floor(seq / o.sidecars) % o.tabsPerSidecar)
    ]!;
  const pace = { events: o.events, intervalMs: o.intervalMs, receiversPerEvent: 1 };
  const roots = Array.from({ length: o.sidecars }, (_, s) =>
    join(rig.root, 'event-sidecars', userId(s)),
  );
  const locals: RunningSimulator[] = [];
  const sidecars: (ProductProcess & { url: string })[] = [];
  try {
    for (const root of roots) locals.push(await simulatorAt(root));

    const stock: Outcome = await measureEvents(
      load,
      tabs.map(({ s, t }) => ({
        url: `${ws(locals[s]!.url)}/ws?clientId=${tabId(s, t)}`,
        hello: HELLO,
      })),
      (seq) => {
        const { s, t } = target(seq);
        locals[s]!.replicas[0]!.context.hub.send('bench.ping', { seq }, tabId(s, t));
      },
      pace,
    );

    // Started together: each is a separate node process, so they boot in parallel on the cores there are.
    sidecars.push(
      ...(await Promise.all(
        roots.map((root, s) =>
          startSidecarProcess({
            dirs: {
              input: join(root, 'input'),
              output: join(root, 'output'),
              temp: join(root, 'temp'),
              state: join(root, 'sidecar-state'),
            },
            userId: userId(s),
            comfyUrl: locals[s]!.url,
            relayUrl: main.url,
          }),
        ),
      )),
    );
    const publisher = main.relay.parts.publisher;
    // One job id per tab: the sidecar synthesises the job's start once (the warm-up ping), then forwards.
    const jobIds = new Map(tabs.map(({ s, t }) => [tabId(s, t), randomUUID()]));
    let emitErrors = 0;
    const ping = (s: number, t: number, seq: number) =>
      void publisher
        .comfy(
          { id: jobIds.get(tabId(s, t))!, userId: userId(s), clientId: tabId(s, t) },
          { type: 'bench.ping', data: { seq } },
        )
        .catch(() => emitErrors++);
    const platform: Outcome = await measureEvents(
      load,
      tabs.map(({ s, t }) => ({
        url: `${ws(sidecars[s]!.url)}/ws?clientId=${tabId(s, t)}`,
        hello: HELLO,
      })),
      (seq) => {
        const { s, t } = target(seq);
        ping(s, t, seq);
      },
      {
        ...pace,
        warmup: { events: tabs.length, emit: (seq, i) => ping(tabs[i]!.s, tabs[i]!.t, seq) },
      },
    );

    if (stock.latencies.length === 0 || platform.latencies.length === 0)
      throw new Error('no event was received');
    const lost =
      stock.missing + platform.missing + stock.openFailures + platform.openFailures + emitErrors;
    return [
      makeRow({
        id: 'events-sidecars',
        bench: 'events',
        measure: `event latency via sidecars, ${o.sidecars} × ${o.tabsPerSidecar} tabs`,
        unit: 'ms',
        better: 'lower',
        stock: distribution(stock.latencies),
        platform: distribution(platform.latencies),
        how:
          `emit → the tab receives it. Shape: ${o.sidecars} 'comfyume sidecar' processes (one user each) × ${o.tabsPerSidecar} tabs = ${tabs.length} browser sockets ` +
          `in a separate client process; ${o.events} events, one every ${o.intervalMs} ms, each to one tab. Platform = relay publisher → Redis → relay hub → ` +
          `sidecar → tab (after one unmeasured warm-up event per tab); stock = each tab's own simulated ComfyUI, send_sync to that tab.` +
          (lost ? ` ${lost} receipts missing or sockets not opened.` : ''),
        failures: lost || undefined,
      }),
    ];
  } finally {
    await Promise.all(sidecars.map((p) => p.stop()));
    await Promise.all(locals.map((l) => l.close()));
  }
}
