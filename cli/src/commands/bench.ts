/**
 * @fileoverview `comfyume bench`: measures what the platform adds, as ratios against stock ComfyUI
 * (the simulator) doing the same work in the same run; prints a table and writes
 * reports/bench.json and reports/bench.md. Measures only: it never judges a number.
 */
import { resolve } from 'node:path';
import { parseCommandArgs, UsageError } from '../args';
import { createProgress } from '../progress';
import { compareLines, readReport } from '../../../bench/src/compare';
import { BENCHES, textTable, type BenchName } from '../../../bench/src/report';
import { runBench } from '../../../bench/src/run';

const USAGE = `Usage: comfyume bench [options]

Starts everything it needs on 127.0.0.1 (redis-server, relay, sidecar, simulated ComfyUIs), runs
bounded benchmarks and prints platform/stock ratios with p50/p95 and sample counts:
  first-event  Queue Prompt → first event (execution_start)
  visible      output file written → image visible (GET /api/view after executed)
  view         /view throughput for a ~1 MB PNG (direct vs through the sidecar proxy)
  admissions   relay admissions per second (vs ComfyUI POST /prompt)
  memory       memory of one sidecar process (vs one idle ComfyUI simulator process)
  panels       queue + history panel reads with finished jobs behind them
  events       event latency with 200 users and 1,000 open sockets (and frames per socket per job)
  workers      first event and visible output through a pull worker, beside direct
  agent        serverless + GPU agent vs no agent vs direct: first executing, GPU error,
               replica death (SIGKILL), cancel → tab (in --quick only with --only agent)

Options:
  --quick            small counts (well under a minute), as the smoke test uses
  --only <names>     comma-separated benchmarks from the list above (repeatable)
  --reports <dir>    where bench.json and bench.md go (default ./reports)
  --compare <file>   a previous bench.json: also print each row's change since that run
  -h, --help`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseCommandArgs('bench', {
    args,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      reports: { type: 'string', default: './reports' },
      compare: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const only = (values.only ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const unknown = only.filter((name) => !(BENCHES as readonly string[]).includes(name));
  if (unknown.length)
    throw new UsageError(
      `unknown benchmark ${unknown.map((u) => `"${u}"`).join(', ')}; choose from ${BENCHES.join(', ')}`,
    );

  // Read before the run: the new report may overwrite the very file.
  const previous = values.compare ? await readReport(resolve(values.compare)) : undefined;
  const mode = values.quick ? 'quick' : 'default';
  const reportsDir = resolve(values.reports);
  const began = Date.now();
  const report = await runBench({
    mode,
    only: only as BenchName[],
    reportsDir,
    progress: createProgress(),
  });
  console.log(`\ncomfyume bench (${mode}) — ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
  console.log(textTable(report));
  if (previous) console.log(`\n${compareLines(previous, report).join('\n')}`);
  console.log(`\nreports: ${reportsDir}/bench.json, ${reportsDir}/bench.md`);
  if (report.errors.length) process.exitCode = 1;
  // Every server was closed; if a library still holds a handle, do not let it keep the command alive.
  setTimeout(() => process.exit(), 3_000).unref();
}
