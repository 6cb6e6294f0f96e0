/**
 * @fileoverview Before `comfyume up` starts anything: every fixed port it will listen on must be
 * free, or the operator gets one line naming the port, what wanted it and the flag that moves it
 * (with a free port to try) — instead of a workshop that prints its URLs and then dies.
 */
import { createServer } from 'node:net';
import { UsageError } from '../args';

export type WantedPort = {
  port: number;
  host: string;
  /** Who listens there: "nginx (the attendee URLs)". */
  what: string;
  /** The flag that changes it: "--port". */
  flag: string;
};

/** Whether `host:port` can be bound right now (the probe is closed again at once). */
export function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function nextFree(
  from: number,
  host: string,
  avoid: Set<number>,
): Promise<number | undefined> {
  for (let port = from + 1; port <= Math.min(65535, from + 50); port++)
    if (!avoid.has(port) && (await canListen(port, host))) return port;
  return undefined;
}

/** Throws a UsageError for the first port that is taken (or wanted twice), with the fix. */
export async function assertPortsFree(wanted: readonly WantedPort[]): Promise<void> {
  const fixed = wanted.filter((w) => w.port !== 0);
  const used = new Set(fixed.map((w) => w.port));
  const seen = new Map<number, WantedPort>();
  for (const w of fixed) {
    const twice = seen.get(w.port);
    if (twice)
      throw new UsageError(
        `${twice.flag} and ${w.flag} both ask for port ${w.port}: give ${w.flag} another port`,
      );
    seen.set(w.port, w);
    if (await canListen(w.port, w.host)) continue;
    const free = await nextFree(w.port, w.host, used);
    throw new UsageError(
      `port ${w.port} on ${w.host} is already in use, so ${w.what} cannot start there: ` +
        `stop what holds it, or choose another port with ${w.flag}${free ? ` (e.g. ${w.flag} ${free})` : ''}`,
    );
  }
}
