/**
 * @fileoverview The README's main job, end to end through the CLI as an organiser runs it:
 * `comfyume up` (Redis, simulated serverless GPU, relay, attendee ComfyUIs + sidecars, with and
 * without nginx, with Prometheus) as a child process, then — from ANOTHER folder, finding the
 * workshop through its home — the README's own commands exactly as printed, `comfyume submit` of
 * recorded workflows writing PNGs, `comfyume rehearse` writing its report, `comfyume token`, and
 * Ctrl-C leaving no process behind. Start-up mistakes (a taken port, a bad flag) are one line
 * each, before anything starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseDotenv } from 'dotenv';
import { verifyToken } from '../../kit/user-token';
import { StackFile } from '../../cli/src/stack/stack-file';
import { freePort } from '../../kit/free-port';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin', 'comfyume.js');
const recorded = resolve(root, '../shared/fixtures/comfyui/real-0.8.0');

type Up = {
  child: ChildProcess;
  output: () => string;
  /** The workshop home (COMFYUME_HOME): .env and data/ live here. */
  dir: string;
  /** Another folder, where the operator types the other commands. */
  elsewhere: string;
  stack: StackFile;
  exited: Promise<number | null>;
};

/** The environment of a shell on the operator's machine: this workshop's home, no stray settings. */
const operatorEnv = (home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  COMFYUME_HOME: home,
  REDIS_URL: '',
  INFERENCE_MODE: '',
  SERVERLESS_ENDPOINT: '',
  COMFYUI_GPU_URLS: '',
  RELAY_SECRET: '',
  ADMIN_TOKEN: '',
  ...extra,
});

async function startUp(extra: string[]): Promise<Up> {
  const dir = await mkdtemp(join(tmpdir(), 'comfyume-up-'));
  const elsewhere = join(dir, 'somewhere', 'else');
  await mkdir(elsewhere, { recursive: true });
  let output = '';
  const child = spawn(process.execPath, [bin, 'up', '--step-ms', '20', ...extra], {
    cwd: elsewhere,
    env: operatorEnv(dir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 150_000;
  while (!output.includes('Press Ctrl-C')) {
    if (child.exitCode !== null) throw new Error(`comfyume up exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`comfyume up not ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const stack = StackFile.parse(
    JSON.parse(await readFile(join(dir, 'data', 'up', 'stack.json'), 'utf8')),
  );
  return { child, output: () => output, dir, elsewhere, stack, exited };
}

type Run = { code: number | null; stdout: string; stderr: string };

/** `comfyume <args>` typed in another folder of the operator's machine, for the workshop in `up`. */
function cli(args: string[], up: Pick<Up, 'dir' | 'elsewhere'>): Promise<Run> {
  return run(process.execPath, [bin, ...args], up.elsewhere, operatorEnv(up.dir));
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolveRun({ code, stdout, stderr }));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Ctrl-C, then: `up` exits 0 and every child it recorded is gone. */
async function interruptAndCheck(up: Up): Promise<void> {
  up.child.kill('SIGINT');
  expect(await up.exited).toBe(0);
  expect(up.output()).toContain('stopped.');
  const pids = up.stack.processes.map((p) => p.pid);
  expect(pids.length).toBeGreaterThanOrEqual(up.stack.attendees.length * 2 + 3);
  expect(pids.filter(alive)).toEqual([]);
}

async function readPng(path: string): Promise<PNG> {
  return PNG.sync.read(await readFile(path));
}

describe('comfyume up --no-nginx, then the README from another folder, Ctrl-C', () => {
  let up: Up;
  beforeAll(async () => {
    up = await startUp(['--users', '4', '--no-nginx']);
  });
  afterAll(async () => {
    if (up?.child.exitCode === null) up.child.kill('SIGKILL');
    if (up) await rm(up.dir, { recursive: true, force: true });
  });

  it('shows each start-up step, counts attendees, and prints every URL once they answer', () => {
    expect(up.stack.attendees.map((a) => a.id)).toEqual([
      'user001',
      'user002',
      'user003',
      'user004',
    ]);
    const output = up.output();
    for (const a of up.stack.attendees) expect(output).toContain(a.sidecarUrl);
    expect(output).toContain(up.stack.relayUrl);
    // Plain progress lines (no terminal here): n of N while attendees start, ✔ per step.
    expect(output).toMatch(/starting 4 attendee\(s\): 0\/4[\s\S]*starting 4 attendee\(s\): 4\/4/);
    expect(output).toMatch(/✔ starting the relay/);
    expect(output.indexOf('✔ every URL answers')).toBeLessThan(
      output.indexOf('ComfyuME workshop is up'),
    );
    // Settings in the home, whatever folder up was started from.
    expect(existsSync(join(up.dir, '.env'))).toBe(true);
    expect(existsSync(join(up.elsewhere, '.env'))).toBe(false);
  });

  it("the README's commands work exactly as printed, from another folder", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const block = /While it runs, from any folder[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = block
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter(Boolean);
    expect(commands.length).toBeGreaterThanOrEqual(3);
    // `comfyume` on PATH, as scripts/setup.sh links it.
    const pathDir = join(up.dir, 'bin');
    await mkdir(pathDir, { recursive: true });
    await symlink(bin, join(pathDir, 'comfyume'));
    const env = operatorEnv(up.dir, { PATH: `${pathDir}:${process.env.PATH}` });
    const secret = parseDotenv(await readFile(join(up.dir, '.env'), 'utf8')).RELAY_SECRET!;
    for (const command of commands) {
      const result = await run('bash', ['-c', command], up.elsewhere, env);
      expect(result.code, `${command}\n${result.stdout}\n${result.stderr}`).toBe(0);
      if (command.includes(' token '))
        expect(verifyToken(result.stdout.trim(), secret, 'unused-admin-token')).toMatchObject({
          kind: 'user',
          userId: 'user001',
        });
      if (command.includes(' rehearse ')) expect(result.stderr).toMatch(/rehearsal: 12\/12/);
    }
    expect((await readdir(join(up.elsewhere, 'outputs'))).some((f) => f.endsWith('.png'))).toBe(
      true,
    );
    expect((await readdir(join(up.elsewhere, 'reports'))).some((f) => f.endsWith('.html'))).toBe(
      true,
    );
  });

  it('submit of a recorded API workflow writes its PNG', async () => {
    const out = join(up.dir, 'out-api');
    const result = await cli(
      [
        'submit',
        join(recorded, 'workflows/run1_empty_save.api.json'),
        '--user',
        'user001',
        '--out',
        out,
      ],
      up,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/job for user001: running/); // a line per phase in a log
    const files = (await readdir(out)).filter((f) => f.endsWith('.png'));
    expect(files).toHaveLength(1);
    const png = await readPng(join(out, files[0]!));
    expect([png.width, png.height]).toEqual([64, 64]); // EmptyImage 64×64 in the workflow
  });

  it('submit of a UI-format workflow converts it and writes its PNG', async () => {
    const body = JSON.parse(await readFile(join(recorded, 'frontend/post_prompt_1.json'), 'utf8'))
      .request.body;
    const file = join(up.dir, 'ui-workflow.json');
    await writeFile(file, JSON.stringify(body.extra_data.extra_pnginfo.workflow));
    const out = join(up.dir, 'out-ui');
    const result = await cli(['submit', file, '--user', 'user002', '--out', out], up);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ui format');
    const files = (await readdir(out)).filter((f) => f.startsWith('realcomfy_frontend'));
    expect(files).toHaveLength(1);
    const png = await readPng(join(out, files[0]!));
    expect([png.width, png.height]).toEqual([256, 192]);
  });

  it('submit exits non-zero with the reason when the job cannot run', async () => {
    const result = await cli(
      ['submit', join(recorded, 'workflows/run3_execution_error.api.json'), '--user', 'user003'],
      up,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/escape|outside the output folder/);
  });

  it('rehearse uses every running attendee by default, shows progress and writes its report', async () => {
    const reports = join(up.dir, 'reports');
    const result = await cli(
      ['rehearse', '--jobs', '2', '--think-ms', '100', '--reports', reports],
      up,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('every attendee that is running');
    expect(result.stdout).toMatch(/throughput\s+\d/);
    expect(result.stderr).toMatch(/rehearsal: \d+\/8 · \d+ running · \d+ waiting/);
    expect(result.stderr).toContain('✔ rehearsal: 8 of 8 jobs done');
    const files = await readdir(reports);
    const html = await readFile(
      join(
        reports,
        files.find((f) => f.endsWith('.html'))!,
      ),
      'utf8',
    );
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained
    const { summary } = JSON.parse(
      await readFile(
        join(
          reports,
          files.find((f) => f.endsWith('.json'))!,
        ),
        'utf8',
      ),
    );
    expect(summary).toMatchObject({ users: 4, jobs: 8, ok: 8, failed: 0 });
    expect(summary.fairness.jainWait).toBeGreaterThan(0);
  });

  it('rehearse refuses more attendees than are running, and says how to start more', async () => {
    const result = await cli(['rehearse', '--users', '9', '--jobs', '1'], up);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('only 4 attendee(s) are running');
    expect(result.stderr).toContain('comfyume up --users 9');
  });

  it("token --revoke finds the running workshop's Redis by itself; that user's earlier token is then refused", async () => {
    const minted = await cli(['token', 'user009'], up);
    expect(minted.code, minted.stderr).toBe(0);
    const asUser = () =>
      fetch(`${up.stack.relayUrl}/api/jobs`, {
        headers: { authorization: `Bearer ${minted.stdout.trim()}` },
      }).then((r) => r.status);
    expect(await asUser()).toBe(200);
    const revoked = await cli(['token', '--revoke', 'user009'], up); // REDIS_URL is empty here: up chose the port
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/revoked: tokens of user009/);
    await expect.poll(asUser, { timeout: 15_000 }).toBe(401);
  });

  it('a second up on the same home says one is running, and starts nothing', async () => {
    const result = await cli(['up', '--no-nginx'], up);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`pid ${up.stack.pid}`);
  });

  it('Ctrl-C stops everything and leaves no process behind', async () => {
    await interruptAndCheck(up);
    const after = await cli(['submit', '--example'], up);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/no workshop is running from .*: start one with "comfyume up"/);
  });
});

describe('comfyume up refuses bad start-up input in one line, before starting anything', () => {
  let home: string;
  let holder: Server;
  let taken: number;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'comfyume-up-refuse-'));
    holder = createServer();
    taken = await new Promise<number>((r) =>
      holder.listen(0, '127.0.0.1', () => r((holder.address() as { port: number }).port)),
    );
  });
  afterAll(async () => {
    await new Promise((r) => holder.close(r));
    await rm(home, { recursive: true, force: true });
  });

  const up = (args: string[]) =>
    run(process.execPath, [bin, 'up', ...args], home, operatorEnv(home));

  it('a taken port names the flag that moves it', async () => {
    const result = await up(['--port', String(taken), '--users', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`port ${taken} on 127.0.0.1 is already in use`);
    expect(result.stderr).toMatch(/--port \d+/);
    expect(existsSync(join(home, 'data'))).toBe(false); // nothing was started or written
    expect(existsSync(join(home, '.env'))).toBe(false);
  });

  it('--users -1 says what is allowed, not how the parser works', async () => {
    const result = await up(['--users', '-1']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'comfyume up: --users: a whole number from 1 to 200, got "-1"',
    );
  });
});

describe('comfyume up --simulated-via direct', () => {
  let up: Up;
  beforeAll(async () => {
    up = await startUp([
      '--users',
      '1',
      '--no-nginx',
      '--simulated-via',
      'direct',
      '--replicas',
      '2',
    ]);
  });
  afterAll(async () => {
    if (up?.child.exitCode === null) up.child.kill('SIGKILL');
    if (up) await rm(up.dir, { recursive: true, force: true });
  });

  it('starts k separate GPUs (a direct backend cannot follow a job across a round-robin port) and runs jobs on them', async () => {
    expect(up.output()).toMatch(
      /simulated \(2 GPU\(s\) at http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+, reached as direct\)/,
    );
    for (let i = 0; i < 3; i++) {
      const result = await cli(
        ['submit', '--example', '--user', 'user001', '--out', join(up.dir, `out-${i}`)],
        up,
      );
      expect(result.code, result.stderr).toBe(0);
    }
    await interruptAndCheck(up);
  });
});

describe('comfyume up with nginx', () => {
  let up: Up;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    up = await startUp([
      '--users',
      '2',
      '--port',
      String(port),
      '--monitoring',
      '--prometheus-port',
      String(await freePort()),
    ]);
  });
  afterAll(async () => {
    if (up?.child.exitCode === null) up.child.kill('SIGKILL');
    if (up) await rm(up.dir, { recursive: true, force: true });
  });

  it('prints the nginx URLs and credentials, and submit through nginx writes a PNG', async () => {
    const user001 = up.stack.attendees.find((a) => a.id === 'user001')!;
    expect(user001.nginxUrl).toBe(`http://localhost:${port}/user001/`);
    expect(up.output()).toContain(user001.nginxUrl);
    expect(up.output()).toContain(user001.password);
    const url = `http://user001:${encodeURIComponent(user001.password)}@127.0.0.1:${port}/user001/`;
    const out = join(up.dir, 'out-nginx');
    const result = await cli(
      [
        'submit',
        join(recorded, 'workflows/run2_invert_preview_save.api.json'),
        '--url',
        url,
        '--out',
        out,
      ],
      up,
    );
    expect(result.code).toBe(0);
    const files = (await readdir(out)).filter((f) => f.startsWith('realcomfy_run2'));
    expect(files).toHaveLength(1);
    expect((await readPng(join(out, files[0]!))).width).toBe(64);
  });

  it("user001's credentials do not open user002 nor the relay API; the admin's do", async () => {
    const [user001] = up.stack.attendees;
    const auth = (u: string, p: string) => ({
      authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
    });
    expect(
      (
        await fetch(`http://127.0.0.1:${port}/user002/api/system_stats`, {
          headers: auth('user001', user001!.password),
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await fetch(`http://127.0.0.1:${port}/relay/api/queue/status`, {
          headers: auth('user001', user001!.password),
        })
      ).status,
    ).toBe(401);
    const admin = await fetch(`http://127.0.0.1:${port}/relay/api/queue/status`, {
      headers: auth('admin', up.stack.admin.password),
    });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toHaveProperty('backends');
  });

  it('--monitoring runs Prometheus, scraping the relay with the operator token', async () => {
    const prometheus = up.stack.prometheusUrl!;
    expect(up.output()).toContain(`prometheus ${prometheus}`);
    const deadline = Date.now() + 60_000;
    let targets: { health: string; labels: { job: string } }[] = [];
    while (Date.now() < deadline) {
      const body = (await (await fetch(`${prometheus}/api/v1/targets`)).json()) as {
        data: { activeTargets: typeof targets };
      };
      targets = body.data.activeTargets;
      if (targets.some((t) => t.health === 'up')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(targets.map((t) => [t.labels.job, t.health])).toEqual([['comfyume-relay', 'up']]);
  });

  it('Ctrl-C stops nginx and Prometheus too', async () => {
    await interruptAndCheck(up);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    await expect(fetch(`${up.stack.prometheusUrl}/-/ready`)).rejects.toThrow();
  });
});
