/**
 * @fileoverview `comfyume rehearse --users 20 --jobs 3`: simulated attendees queue jobs
 * concurrently through their sidecars (exactly like `comfyume submit`), then a report of wait and
 * run times, throughput, fairness and failures — on the terminal and as an HTML page in ./reports/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { runPrompt } from '../client/comfy-client';
import { parseTarget, type Target } from '../client/http';
import { isApiPrompt, type ApiPrompt } from '../client/graph-to-prompt';
import { htmlReport, terminalReport } from '../rehearse/report';
import { summarize, type JobRecord } from '../rehearse/stats';
import { readStackFile } from '../stack/stack-file';

const help = `Usage: comfyume rehearse [options]

Against a running "comfyume up" (or --urls), each simulated attendee queues --jobs jobs through
its own sidecar, as the browser does, and the run ends by itself. Prints per-user wait and run
times, throughput and fairness, and writes reports/rehearsal-<time>.html and .json.

Options:
  --users <n>        attendees taking part (default 20; the stack must have that many)
  --jobs <n>         jobs per attendee (default 3)
  --workflow <file>  API-format prompt to queue (default: a model-free image pipeline)
  --think-ms <n>     up to this long (random) between an attendee's clicks (default 500)
  --timeout <s>      per-job limit (default 600)
  --urls <list>      sidecar URLs, comma-separated, instead of the running stack's
  --reports <dir>    where to write the report (default ./reports)
  --data-dir <dir>   where "comfyume up" keeps its state (default ./data)
  -h, --help`;

/** Model-free, so it runs on a real GPU ComfyUI as well as on the simulator. */
const defaultPrompt: ApiPrompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 256, height: 256, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 3, sigma: 1 } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'rehearsal' } },
};

/** A fresh variant per job, so the GPU's cache does not turn the rehearsal into no-ops. */
function variant(prompt: ApiPrompt): ApiPrompt {
  const copy = structuredClone(prompt);
  for (const node of Object.values(copy)) {
    for (const key of ['seed', 'noise_seed'])
      if (typeof node.inputs[key] === 'number')
        node.inputs[key] = Math.floor(Math.random() * 2 ** 32);
    if (node.class_type === 'EmptyImage') node.inputs.color = Math.floor(Math.random() * 0xffffff);
  }
  return copy;
}

const int = (name: string, value: string, min: number, max: number) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer ${min}..${max}, got "${value}"`);
  return n;
};

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      users: { type: 'string', default: '20' },
      jobs: { type: 'string', default: '3' },
      workflow: { type: 'string' },
      'think-ms': { type: 'string', default: '500' },
      timeout: { type: 'string', default: '600' },
      urls: { type: 'string' },
      reports: { type: 'string', default: './reports' },
      'data-dir': { type: 'string', default: './data' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(help);
    return;
  }
  const users = int('users', values.users, 1, 500);
  const jobs = int('jobs', values.jobs, 1, 100);
  const thinkMs = int('think-ms', values['think-ms'], 0, 600_000);
  const timeoutMs = int('timeout', values.timeout, 1, 86_400) * 1000;

  let prompt = defaultPrompt;
  if (values.workflow) {
    const json: unknown = JSON.parse(await readFile(values.workflow, 'utf8'));
    if (!isApiPrompt(json))
      throw new Error(
        `${values.workflow} is not an API-format prompt (export it with "Export (API)")`,
      );
    prompt = json;
  }

  let targets: { user: string; target: Target }[];
  if (values.urls) {
    targets = values.urls.split(',').map((url, i) => ({
      user: `user${String(i + 1).padStart(3, '0')}`,
      target: parseTarget(url.trim()),
    }));
  } else {
    const stack = await readStackFile(resolve(values['data-dir']));
    targets = stack.attendees.map((a) => ({ user: a.id, target: parseTarget(a.sidecarUrl) }));
  }
  if (targets.length < users)
    throw new Error(
      `--users ${users} but only ${targets.length} attendee(s) are running: start the stack with "comfyume up --users ${users}"`,
    );
  targets = targets.slice(0, users);

  console.log(`rehearsal: ${users} attendee(s) × ${jobs} job(s), through their sidecars`);
  const records: JobRecord[] = [];
  let done = 0;
  const total = users * jobs;
  const attendee = async ({ user, target }: (typeof targets)[number]) => {
    // Each attendee clicks Queue `jobs` times, a little apart, without waiting for results.
    const runs: Promise<void>[] = [];
    for (let index = 0; index < jobs; index++) {
      if (thinkMs) await sleep(Math.random() * thinkMs);
      const submittedAt = Date.now();
      runs.push(
        runPrompt(target, variant(prompt), { timeoutMs })
          .then((r): JobRecord => ({
            user,
            index,
            ok: r.ok,
            error: r.error,
            promptId: r.promptId,
            submittedAt: r.submittedAt,
            startedAt: r.startedAt,
            finishedAt: r.finishedAt,
          }))
          .catch((error: Error): JobRecord => ({
            user,
            index,
            ok: false,
            error: error.message,
            submittedAt,
            finishedAt: Date.now(),
          }))
          .then((record) => {
            records.push(record);
            done++;
            if (process.stdout.isTTY) process.stdout.write(`\r  ${done}/${total} jobs finished`);
          }),
      );
    }
    await Promise.all(runs);
  };
  await Promise.all(targets.map(attendee));
  if (process.stdout.isTTY) process.stdout.write('\n');

  records.sort((a, b) => a.user.localeCompare(b.user) || a.index - b.index);
  const summary = summarize(records);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const title = `ComfyuME rehearsal ${stamp}: ${users} attendees × ${jobs} jobs`;
  const dir = resolve(values.reports);
  await mkdir(dir, { recursive: true });
  const htmlPath = join(dir, `rehearsal-${stamp}.html`);
  await writeFile(htmlPath, htmlReport(summary, records, title));
  await writeFile(
    join(dir, `rehearsal-${stamp}.json`),
    `${JSON.stringify({ summary, jobs: records }, null, 2)}\n`,
  );
  console.log(terminalReport(summary, title));
  console.log(`\nreport: ${htmlPath}`);
  if (summary.failed > 0) process.exitCode = 1;
}
