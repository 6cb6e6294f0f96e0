/** `node bin/comfyume.js simulate --port <free>` starts, prints its URL, serves /system_stats, stops on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../../kit/free-port';

const root = path.resolve(import.meta.dirname, '../..');

it('starts the simulator from the CLI and stops cleanly on SIGTERM', async () => {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sim-cli-'));
  const child = spawn(
    process.execPath,
    [
      'bin/comfyume.js',
      'simulate',
      '--port',
      String(port),
      '--output-dir',
      `${dir}/o`,
      '--input-dir',
      `${dir}/i`,
      '--temp-dir',
      `${dir}/t`,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!out.includes(`http://127.0.0.1:${port}`)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`simulator did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const stats = (await (await fetch(`http://127.0.0.1:${port}/system_stats`)).json()) as {
      system: { comfyui_version: string };
      devices: unknown[];
    };
    expect(stats.system.comfyui_version).toBe('0.27.0');
    expect(stats.devices.length).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

it('prints its options with --help', async () => {
  const child = spawn(process.execPath, ['bin/comfyume.js', 'simulate', '--help'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  for (const flag of [
    '--port',
    '--step-ms',
    '--cold-start-ms',
    '--api-key',
    '--fail-node',
    '--replicas',
  ])
    expect(out).toContain(flag);
});
