/**
 * @fileoverview `comfyume rehearse --users 20 --jobs 3`: simulated attendees queue jobs
 * concurrently through their sidecars (exactly like `comfyume submit`), then a report of wait and
 * run times, throughput, fairness and failures — on the terminal and as an HTML page in ./reports/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { intFlag, parseCommandArgs, UsageError } from '../args';
import { workshopHome } from '../home';
import { createProgress } from '../progress';
import { setTimeout as sleep } from 'node:timers/promises';
import { runPrompt } from '../client/comfy-client';
import { parseTarget, type Target } from '../client/target';
import { examplePrompt, variant } from '../client/example-prompt';
import { isApiPrompt } from '../client/graph-to-prompt';
import { htmlReport, terminalReport } from '../rehearse/report';
import { summarize, type JobRecord } from '../rehearse/stats';
import { readStackFile } from '../stack/stack-file';

const help = `Usage: comfyume rehearse [options]

Against the running "comfyume up" (found from any folder through the workshop home, or --urls),
each simulated attendee queues --jobs jobs through its own sidecar, as the browser does, and the
run ends by itself. Shows jobs done of total and the live waits while it runs, then per-user wait
and run times, throughput and fairness, and writes reports/rehearsal-<time>.html and .json.

Options:
  --users <n>        attendees taking part (default: every attendee that is running; to rehearse
                     more, start them with "comfyume up --users <n>")
  --jobs <n>         jobs per attendee (default 3)
  --workflow <file>  API-format prompt to queue (default: a model-free image pipeline)
  --think-ms <n>     up to this long (random) between an attendee's clicks (default 500)
  --timeout <s>      per-job limit (default 600)
  --urls <list>      sidecar URLs, comma-separated, instead of the running stack's
  --reports <dir>    where to write the report (default ./reports)
  --data-dir <dir>   where "comfyume up" keeps its state (default <home>/data)
  -h, --help`;

type LiveJob = { submittedAt: number; startedAt?: number; finished?: boolean; ok?: boolean };

/** "12/60 done · 3 running · 45 waiting (longest 12.3 s) · 1 failed", from the jobs so far. */
export function liveLine(jobs: readonly LiveJob[], now: number): string {
  const waiting = jobs.filter((j) => !j.finished && j.startedAt === undefined);
  const running = jobs.filter((j) => !j.finished && j.startedAt !== undefined).length;
  const failed = jobs.filter((j) => j.finished && !j.ok).length;
  const longest = Math.max(0, ...waiting.map((j) => now - j.submittedAt));
  const parts = [
    `${running} running`,
    `${waiting.length} waiting${waiting.length ? ` (longest ${(longest / 1000).toFixed(1)} s)` : ''}`,
  ];
  if (failed) parts.push(`${failed} failed`);
  return parts.join(' · ');
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseCommandArgs('rehearse', {
    args,
    options: {
      users: { type: 'string' },
      jobs: { type: 'string', default: '3' },
      workflow: { type: 'string' },
      'think-ms': { type: 'string', default: '500' },
      timeout: { type: 'string', default: '600' },
      urls: { type: 'string' },
      reports: { type: 'string', default: './reports' },
      'data-dir': { type: 'string', default: workshopHome().dataDir },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(help);
    return;
  }
  const wanted = values.users === undefined ? undefined : intFlag('users', values.users, 1, 500);
  const jobs = intFlag('jobs', values.jobs, 1, 100);
  const thinkMs = intFlag('think-ms', values['think-ms'], 0, 600_000);
  const timeoutMs = intFlag('timeout', values.timeout, 1, 86_400) * 1000;

  let prompt = examplePrompt;
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
  if (wanted !== undefined && targets.length < wanted)
    throw new UsageError(
      `--users ${wanted} but only ${targets.length} attendee(s) are running: leave out --users to rehearse with those ${targets.length}, ` +
        `or stop the workshop (Ctrl-C) and start more with "comfyume up --users ${wanted}"`,
    );
  const users = wanted ?? targets.length;
  targets = targets.slice(0, users);

  console.log(
    `rehearsal: ${users} attendee(s) × ${jobs} job(s), through their sidecars` +
      (wanted === undefined
        ? ` (every attendee that is running; "comfyume up --users <n>" starts more)`
        : ''),
  );
  const records: JobRecord[] = [];
  const live: LiveJob[] = [];
  let done = 0;
  const total = users * jobs;
  const task = createProgress().start('rehearsal');
  const refresh = () => task.count(done, total, liveLine(live, Date.now()));
  const ticker = setInterval(refresh, 1000);
  ticker.unref();
  const attendee = async ({ user, target }: (typeof targets)[number]) => {
    // Each attendee clicks Queue `jobs` times, a little apart, without waiting for results.
    const runs: Promise<void>[] = [];
    for (let index = 0; index < jobs; index++) {
      if (thinkMs) await sleep(Math.random() * thinkMs);
      const submittedAt = Date.now();
      const mine: LiveJob = { submittedAt };
      live.push(mine);
      refresh();
      runs.push(
        runPrompt(target, variant(prompt), {
          timeoutMs,
          onProgress: (p) => {
            if (p.phase === 'running' && mine.startedAt === undefined) {
              mine.startedAt = Date.now();
              refresh();
            }
          },
        })
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
            mine.finished = true;
            mine.ok = record.ok;
            done++;
            refresh();
          }),
      );
    }
    await Promise.all(runs);
  };
  await Promise.all(targets.map(attendee));
  clearInterval(ticker);
  const failedCount = records.filter((r) => !r.ok).length;
  if (failedCount)
    task.fail(`rehearsal: ${total - failedCount} of ${total} jobs done, ${failedCount} failed`);
  else task.succeed(`rehearsal: ${total} of ${total} jobs done`);

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
