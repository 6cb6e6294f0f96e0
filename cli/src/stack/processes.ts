/**
 * @fileoverview Child processes for `comfyume up` and the tests: each in its own process group
 * (so a signal reaches its children too), output prefixed or sent to a log file, health-waited
 * before anyone announces it, and stopped with SIGTERM → wait → SIGKILL so nothing is orphaned.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type ManagedProcess = {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the process has exited. */
  exited: Promise<number | string>;
  /** The last lines of output, for error messages when it dies early. */
  tail: () => string;
  stop: (timeoutMs?: number) => Promise<void>;
};

export type SpawnOptions = {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Append output here; otherwise keep it only in memory for `tail()`. */
  logFile?: string;
  /** Also echo output to this stream with a `[name]` prefix. */
  echo?: NodeJS.WritableStream;
};

export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  opts: SpawnOptions = {},
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    // A process group of its own: Ctrl-C in the terminal reaches only `up`, which then stops each
    // child in order, and killing the group also reaches grandchildren (tsx, nginx workers).
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const log: WriteStream | undefined = opts.logFile
    ? createWriteStream(opts.logFile, { flags: 'a' })
    : undefined;
  const lines: string[] = [];
  const onData = (chunk: Buffer) => {
    log?.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      opts.echo?.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      log?.end();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const pid = child.pid;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {}
  };
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    child,
    exited,
    tail: () => lines.slice(-15).join('\n'),
    stop: (timeoutMs = 10_000) =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          signalGroup('SIGTERM');
          // An unref'd timer: a process that exits promptly must not keep `up` alive for the grace period.
          const done = await Promise.race([
            exited.then(() => true),
            sleep(timeoutMs, undefined, { ref: false }).then(() => false),
          ]);
          if (!done) signalGroup('SIGKILL');
          await exited;
        }
        // Whatever is left of the group (a grandchild that ignored SIGTERM) goes too.
        signalGroup('SIGKILL');
      })()),
  };
}

/** Polls until `check` resolves true; fails early with the process's output if it exits first. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; process?: ManagedProcess; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let exitCode: number | string | undefined;
  void opts.process?.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(
        `${what}: ${opts.process!.name} exited (${exitCode}) before it was ready:\n${opts.process!.tail()}`,
      );
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const tail = opts.process ? `\n${opts.process.tail()}` : '';
      throw new Error(
        `${what}: not ready after ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s${tail}`,
      );
    }
    await sleep(opts.intervalMs ?? 200);
  }
}

export async function httpOk(url: string, init?: RequestInit): Promise<boolean> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
  await res.arrayBuffer();
  return res.ok;
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
