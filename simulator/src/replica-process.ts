/**
 * @fileoverview One simulated GPU replica in its own process (`simulate --agent`): a replica that
 * can die like a real one — `kill -9` stops its heartbeat, its files and its sockets at once.
 * The parent (replica-processes.ts) sends `start` with the replica's options over IPC; the child
 * answers `ready` with its URL, and stops cleanly on `stop` or when the parent goes away.
 */
import pino from 'pino';
import { Gate } from './gate';
import { startReplica, type ReplicaOptions } from './replica';

export type ChildOptions = Omit<ReplicaOptions, 'gate' | 'log'> & { logLevel: string };
export type ParentMessage = { type: 'start'; options: ChildOptions } | { type: 'stop' };
export type ChildMessage =
  { type: 'ready'; url: string; port: number } | { type: 'failed'; message: string };

const reply = (message: ChildMessage) => process.send?.(message);
let stopping: Promise<void> | undefined;
let close: (() => Promise<void>) | undefined;

function stop(): void {
  stopping ??= (async () => {
    await close?.().catch(() => undefined);
    process.exit(0);
  })();
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'stop') return stop();
  if (message.type !== 'start') return;
  const { logLevel, ...options } = message.options;
  // The balancer in the parent plays the load balancer (cold start, API key); replicas admit all.
  const gate = new Gate({ coldStartMs: 0 });
  const log = pino({ name: 'simulator', level: logLevel }, pino.destination(2));
  startReplica({ ...options, gate, log }).then(
    (started) => {
      close = started.close;
      reply({ type: 'ready', url: started.replica.url, port: started.replica.port });
    },
    (error: unknown) =>
      reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', stop);
process.on('SIGTERM', stop);
