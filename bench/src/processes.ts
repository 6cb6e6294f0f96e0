/**
 * @fileoverview Product commands as their own processes (`node bin/comfyume.js <command>`, exactly
 * as deployed) with the memory probe preloaded, for the rows where sharing the bench process's
 * event loop would distort the number (throughput, memory).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ComfyHttp } from '../../kit/comfy/http';
import { freePort } from '../../kit/free-port';
import { userToken, type Dirs } from './rig';
import { eventually } from '../../kit/until';
import { ensureSidecarBundle, sidecarNodeEnv, sidecarNodeFlags } from '../../bin/sidecar-start.js';

const bin = fileURLToPath(new URL('../../bin/comfyume.js', import.meta.url));
const probe = new URL('./mem-probe.js', import.meta.url).href;

export type ProductProcess = {
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
};

export function launch(args: string[], env: Record<string, string>): ProductProcess {
  // A sidecar as `comfyume up` and the image start it: with its node flags and allocator settings.
  const sidecar = args[0] === 'sidecar';
  const flags = sidecar ? sidecarNodeFlags : [];
  const child = spawn(
    process.execPath,
    [...flags, '--expose-gc', '--import', probe, bin, ...args],
    {
      env: { ...process.env, ...(sidecar ? sidecarNodeEnv : {}), ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return { child, stderr: () => stderr, stop };
}

/** Waits until `url` answers GET /api/queue with 200 (a ComfyUI, or a sidecar with its relay up). */
export async function ready(url: string, what: string, proc: ProductProcess): Promise<void> {
  await eventually(
    async () => {
      if (proc.child.exitCode !== null)
        throw new Error(`${what} exited (${proc.child.exitCode}): ${proc.stderr().trim()}`);
      try {
        const reply = await new ComfyHttp({ baseUrl: url, timeoutMs: 10_000 }).request(
          'GET',
          '/api/queue',
        );
        return reply.status === 200;
      } catch {
        return false;
      }
    },
    60_000,
    `${what} to answer GET /api/queue${proc.stderr() ? ` (stderr: ${proc.stderr().trim()})` : ''}`,
  );
}

/** Once per bench run: sidecars start from their one-file build, as deployed (built if stale). */
let sidecarBuild: Promise<string> | undefined;

/** `comfyume sidecar` for `userId` in front of the ComfyUI at `comfyUrl` (with its folders), on a free port. */
export async function startSidecarProcess(options: {
  dirs: Dirs;
  userId: string;
  comfyUrl: string;
  relayUrl: string;
}): Promise<ProductProcess & { url: string }> {
  await (sidecarBuild ??= ensureSidecarBundle(() => {}));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = launch(['sidecar'], {
    SIDECAR_LISTEN: `127.0.0.1:${port}`,
    COMFYUI_URL: options.comfyUrl,
    RELAY_URL: options.relayUrl,
    USER_ID: options.userId,
    RELAY_TOKEN: userToken(options.userId),
    COMFYUI_OUTPUT_DIR: options.dirs.output,
    COMFYUI_TEMP_DIR: options.dirs.temp,
    COMFYUI_INPUT_DIR: options.dirs.input,
    SIDECAR_STATE_DIR: options.dirs.state,
    LOG_LEVEL: 'warn',
  });
  try {
    await ready(url, 'the sidecar', proc);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { ...proc, url };
}
