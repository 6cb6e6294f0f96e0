/**
 * @fileoverview Starts the load-client child process (TypeScript through tsx's loader, like the
 * CLI) and sends it commands as request/response pairs over the IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { handle } from './load-client';
import type { Command, Response, ResultOf } from './protocol';

/** tsx's ESM loader as a file URL: `--import` resolves bare names from the cwd, which may be anywhere. */
export const tsxLoaderUrl = (): string =>
  pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What the child runs for each command; naming it here also keeps load-client.ts in the typechecked program. */
export type ChildHandler = typeof handle;

export type LoadClient = {
  run<C extends Command>(command: C, timeoutMs: number): Promise<ResultOf<C>>;
  close(): Promise<void>;
};

export async function startLoadClient(): Promise<LoadClient> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./load-client.ts', import.meta.url)),
    [],
    {
      execArgv: ['--import', tsxLoaderUrl()],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  child.on('message', (message: Response) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`load client: ${message.error}`));
  });
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values())
      waiter.reject(new Error(`load client exited (${signal ?? code})`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });

  return {
    run(command, timeoutMs) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`load client did not answer "${command.cmd}" within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as ResultOf<typeof command>);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ id, command });
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
