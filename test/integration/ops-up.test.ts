/**
 * @fileoverview The README's main job, end to end through the CLI as an organiser runs it:
 * `comfyume up` (Redis, simulated serverless GPU, relay, attendee ComfyUIs + sidecars, with and
 * without nginx) as a child process, `comfyume submit` of recorded workflows writing PNGs,
 * `comfyume rehearse` writing its report, and Ctrl-C leaving no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackFile } from '../../cli/src/stack/stack-file';
import { freePort } from '../support/ports';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin', 'comfyume.js');
const recorded = resolve(root, '../shared/fixtures/comfyui/real-0.8.0');

type Up = {
  child: ChildProcess;
  output: () => string;
  dir: string;
  stack: StackFile;
  exited: Promise<number | null>;
};

async function startUp(extra: string[]): Promise<Up> {
  const dir = await mkdtemp(join(tmpdir(), 'comfyume-up-'));
  let output = '';
  const child = spawn(
    process.execPath,
    [
      bin,
      'up',
      '--data-dir',
      join(dir, 'data'),
      '--dotenv',
      join(dir, '.env'),
      '--step-ms',
      '20',
      ...extra,
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        REDIS_URL: '',
        INFERENCE_MODE: '',
        SERVERLESS_ENDPOINT: '',
        COMFYUI_GPU_URLS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
  return { child, output: () => output, dir, stack, exited };
}

function cli(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
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

describe('comfyume up --no-nginx, submit, rehearse, Ctrl-C', () => {
  let up: Up;
  beforeAll(async () => {
    up = await startUp(['--users', '4', '--no-nginx']);
  });
  afterAll(async () => {
    if (up?.child.exitCode === null) up.child.kill('SIGKILL');
    if (up) await rm(up.dir, { recursive: true, force: true });
  });

  it('prints every attendee URL and records the running stack', () => {
    expect(up.stack.attendees.map((a) => a.id)).toEqual([
      'user001',
      'user002',
      'user003',
      'user004',
    ]);
    for (const a of up.stack.attendees) expect(up.output()).toContain(a.sidecarUrl);
    expect(up.output()).toContain(up.stack.relayUrl);
  });

  it('submit of a recorded API workflow writes its PNG', async () => {
    const out = join(up.dir, 'out-api');
    const run = await cli(
      [
        'submit',
        join(recorded, 'workflows/run1_empty_save.api.json'),
        '--user',
        'user001',
        '--data-dir',
        join(up.dir, 'data'),
        '--out',
        out,
      ],
      up.dir,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/running/);
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
    const run = await cli(
      ['submit', file, '--user', 'user002', '--data-dir', join(up.dir, 'data'), '--out', out],
      up.dir,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ui format');
    const files = (await readdir(out)).filter((f) => f.startsWith('realcomfy_frontend'));
    expect(files).toHaveLength(1);
    const png = await readPng(join(out, files[0]!));
    expect([png.width, png.height]).toEqual([256, 192]);
  });

  it('submit exits non-zero with the reason when the job cannot run', async () => {
    const run = await cli(
      [
        'submit',
        join(recorded, 'workflows/run3_execution_error.api.json'),
        '--user',
        'user003',
        '--data-dir',
        join(up.dir, 'data'),
      ],
      up.dir,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/escape|outside the output folder/);
  });

  it('rehearse --users 4 --jobs 2 finishes by itself and writes its report', async () => {
    const reports = join(up.dir, 'reports');
    const run = await cli(
      [
        'rehearse',
        '--users',
        '4',
        '--jobs',
        '2',
        '--think-ms',
        '100',
        '--data-dir',
        join(up.dir, 'data'),
        '--reports',
        reports,
      ],
      up.dir,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/throughput\s+\d/);
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

  it('rehearse refuses more attendees than are running', async () => {
    const run = await cli(
      ['rehearse', '--users', '9', '--jobs', '1', '--data-dir', join(up.dir, 'data')],
      up.dir,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('comfyume up --users 9');
  });

  it('Ctrl-C stops everything and leaves no process behind', async () => {
    await interruptAndCheck(up);
  });
});

describe('comfyume up with nginx', () => {
  let up: Up;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    up = await startUp(['--users', '2', '--port', String(port)]);
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
    const run = await cli(
      [
        'submit',
        join(recorded, 'workflows/run2_invert_preview_save.api.json'),
        '--url',
        url,
        '--out',
        out,
      ],
      up.dir,
    );
    expect(run.code).toBe(0);
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

  it('Ctrl-C stops nginx too', async () => {
    await interruptAndCheck(up);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
