/**
 * @fileoverview A relay as a real child process (`node bin/comfyume.js relay`), so a test can
 * `kill -9` it mid-run and start another on the same Redis; its log kept for messages and asserts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { until } from '../../kit/until';
import { freePort } from '../../kit/free-port';

const repo = resolve(import.meta.dirname, '../..');

export type RelayChild = { child: ChildProcess; url: string; log: () => string };

/** Starts a relay child with `env` on a free port; resolves once its /health answers. `children` collects it for cleanup. */
export async function spawnRelay(
  env: Record<string, string>,
  children: ChildProcess[],
): Promise<RelayChild> {
  const port = await freePort();
  let log = '';
  const child = spawn(process.execPath, ['bin/comfyume.js', 'relay'], {
    cwd: repo,
    env: { ...process.env, ...env, RELAY_PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await until(
    async () =>
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
    `relay child on ${port} (log: ${log.slice(-500)})`,
  );
  return { child, url, log: () => log };
}
