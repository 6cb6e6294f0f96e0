/**
 * @fileoverview A real redis-server on loopback for a test suite: its own port, its own data dir,
 * killable (to test a dead Redis) and restartable on the same port and data (to test recovery).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { freePort } from './free-port';

export type TestRedis = {
  url: string;
  port: number;
  /** A fresh key prefix, so tests sharing one server never see each other's keys. */
  prefix: () => string;
  stop: () => Promise<void>;
  restart: () => Promise<void>;
  /** Kill redis-server (SIGKILL; the AOF keeps what it wrote), keeping its port and data for `up`. */
  down: () => Promise<void>;
  /** Start it again on the same port and data after `down`. */
  up: () => Promise<void>;
};

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type StartRedisOptions = {
  /** false: no AOF and no snapshots, like an operator's Redis without persistence (default: AOF, as in production). */
  persistence?: boolean;
  /** More redis-server arguments (e.g. `--rename-command CONFIG ""`, as managed services do). */
  args?: string[];
};

export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'comfyume-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        ...[
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--appendonly',
          options.persistence === false ? 'no' : 'yes',
        ],
        ...['--save', '', '--protected-mode', 'no', ...(options.args ?? [])],
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port, 10_000);
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    prefix: () => `test-${randomUUID().slice(0, 8)}:`,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await kill();
      await launch();
    },
    down: kill,
    up: async () => {
      if (child && child.exitCode === null) return;
      await launch();
    },
  };
}
