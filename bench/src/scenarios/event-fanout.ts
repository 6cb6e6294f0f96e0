/**
 * @fileoverview Row 6: event latency with 200 attendees and 1,000 open sockets. Shape (one 2-core
 * box cannot run 200 sidecars): 1,000 WebSockets held by a separate client process, 5 per user
 * across 200 users. Platform = relay event subscribers (WS /api/events with each user's token), an
 * event appended by the relay's publisher (Redis stream → tail → hub fan-out); stock = one
 * simulated ComfyUI holding the same 1,000 sockets, its send_sync to the user's 5 sockets.
 * The same sockets then count the queue frames a burst of jobs costs each (event-frames.ts).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { LoadClient } from '../load/child';
import { makeRow, type Row } from '../report';
import { simulatorAt, userToken, type RelayRig, type Rig } from '../rig';
import { distribution } from '../stats';
import { describeFrames, queueFrames } from './event-frames';
import { measureEvents, type Outcome } from './event-measure';

export type EventOptions = {
  users: number;
  socketsPerUser: number;
  events: number;
  intervalMs: number;
  /** The queue-frames burst (event-frames.ts): jobs per user. */
  jobsPerUser: number;
};

const userId = (i: number) => `ev${String(i).padStart(3, '0')}`;

export async function eventFanout(
  rig: Rig,
  main: RelayRig,
  load: LoadClient,
  o: EventOptions,
): Promise<Row[]> {
  const perUser = (u: number) => Array.from({ length: o.socketsPerUser }, (_, k) => ({ u, k }));
  const all = Array.from({ length: o.users }, (_, u) => perUser(u)).flat();

  const stockSim = await simulatorAt(join(rig.root, 'events', 'stock'));
  let stock: Outcome;
  try {
    const hub = stockSim.replicas[0]!.context.hub;
    const sids = (u: number) => perUser(u).map(({ k }) => `${userId(u)}-${k}`);
    stock = await measureEvents(
      load,
      all.map(({ u, k }) => ({
        url: `${stockSim.url.replace(/^http/, 'ws')}/ws?clientId=${userId(u)}-${k}`,
      })),
      (seq) => {
        for (const sid of sids(seq % o.users)) hub.send('bench.ping', { seq }, sid);
      },
      { events: o.events, intervalMs: o.intervalMs, receiversPerEvent: o.socketsPerUser },
    );
  } finally {
    await stockSim.close();
  }

  const publisher = main.relay.parts.publisher;
  const jobIds = Array.from({ length: o.users }, () => randomUUID());
  let emitErrors = 0;
  const platform = await measureEvents(
    load,
    all.map(({ u }) => ({
      url: `${main.url.replace(/^http/, 'ws')}/api/events`,
      token: userToken(userId(u)),
    })),
    (seq) => {
      const u = seq % o.users;
      void publisher
        .comfy(
          { id: jobIds[u]!, userId: userId(u), clientId: '' },
          { type: 'bench.ping', data: { seq } },
        )
        .catch(() => emitErrors++);
    },
    { events: o.events, intervalMs: o.intervalMs, receiversPerEvent: o.socketsPerUser },
  );
  if (stock.latencies.length === 0 || platform.latencies.length === 0)
    throw new Error('no event was received');
  const framesOptions = {
    users: o.users,
    socketsPerUser: o.socketsPerUser,
    jobsPerUser: o.jobsPerUser,
  };
  const frames = await queueFrames(rig, load, framesOptions)
    .then((figure) => ` ${describeFrames(figure, framesOptions)}`)
    .catch((error: Error) => ` Queue frames not measured: ${error.message}.`);
  const sockets = o.users * o.socketsPerUser;
  const lost =
    stock.missing + platform.missing + stock.openFailures + platform.openFailures + emitErrors;
  return [
    makeRow({
      id: 'events',
      bench: 'events',
      measure: `event latency, ${o.users} users / ${sockets} sockets`,
      unit: 'ms',
      better: 'lower',
      stock: distribution(stock.latencies),
      platform: distribution(platform.latencies),
      how:
        `emit → receive. Shape: ${sockets} WebSockets in a separate client process, ${o.socketsPerUser} per user × ${o.users} users; ` +
        `${o.events} events, one every ${o.intervalMs} ms to the next user's ${o.socketsPerUser} sockets. Platform = relay event subscribers ` +
        `(WS /api/events, user tokens), emitted by the relay's publisher (Redis stream append → XREAD tail → hub fan-out); stock = one ` +
        `simulated ComfyUI holding the same sockets, send_sync to each of the user's sockets. The sidecar hop (relay → sidecar → tab) is not in this row.` +
        frames +
        (lost ? ` ${lost} receipts missing or sockets not opened.` : ''),
      failures: lost || undefined,
    }),
  ];
}
