/**
 * @fileoverview A pull worker as a real child process (`node bin/comfyume.js worker`) beside a
 * ComfyUI (a simulator), so a test can `kill -9` it mid-job and start it again; its log kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

export type WorkerChild = { child: ChildProcess; log: () => string; exited: Promise<void> };

export function spawnWorker(
  env: { RELAY_URL: string; WORKER_TOKEN: string; COMFYUI_URL: string } & Record<string, string>,
  children: ChildProcess[],
): WorkerChild {
  let log = '';
  const child = spawn(process.execPath, ['bin/comfyume.js', 'worker'], {
    cwd: repo,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, log: () => log, exited };
}
