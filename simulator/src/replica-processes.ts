/**
 * @fileoverview Replicas as child processes (replica-process.ts), each started with the tsx loader
 * this CLI runs under, so a test or an operator's drill can `kill -9` one by pid and watch the
 * relay notice. A child that exits (or is killed) is reported, never restarted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildOptions } from './replica-process';

export type ReplicaProcess = {
  index: number;
  url: string;
  port: number;
  pid: number;
  /** The replica id its agent writes heartbeats under. */
  replicaId: string;
  /** Whether the process has exited. */
  readonly exited: boolean;
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
};

const ENTRY = fileURLToPath(new URL('./replica-process.ts', import.meta.url));
/** tsx's loader, resolved from here: the child's working folder may be anywhere (`comfyume up` runs from any cwd). */
const TSX = import.meta.resolve('tsx');
const START_TIMEOUT_MS = 60_000;

export async function startReplicaProcess(options: ChildOptions): Promise<ReplicaProcess> {
  const child: ChildProcess = fork(ENTRY, [], {
    execArgv: ['--import', TSX],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const ready = await new Promise<ChildMessage>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`replica ${options.index} did not start within ${START_TIMEOUT_MS / 1000} s`),
        ),
      START_TIMEOUT_MS,
    );
    child.once('message', (message: ChildMessage) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${options.index} exited while starting (code ${code})`));
    });
    child.send({ type: 'start', options });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  if (ready.type === 'failed') {
    child.kill('SIGKILL');
    throw new Error(`replica ${options.index} failed to start: ${ready.message}`);
  }
  return {
    index: options.index,
    url: ready.url,
    port: ready.port,
    pid: child.pid as number,
    replicaId: options.agent?.replicaId ?? `replica-${options.index}`,
    get exited() {
      return hasExited;
    },
    kill: (signal) => void child.kill(signal),
    stop: async () => {
      if (hasExited) return;
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
