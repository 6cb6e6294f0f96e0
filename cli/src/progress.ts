/**
 * @fileoverview Progress for long steps, in the terminal's conventions. On an interactive
 * terminal: an ora spinner whose line shows the step, a bar for counted work and the elapsed
 * time, replaced by ✔/✖ and the outcome. Anywhere else (CI logs, pipes, `CI` set): plain lines,
 * one when a step starts, one at most every few seconds or every tenth of counted work, and one
 * when it ends — what a CI log shows. Progress goes to stderr so stdout stays the result.
 *
 * ora (sindresorhus/ora) is used for the spinner: it is widely used and kept up to date, handles
 * cursor hiding/restoring and Ctrl-C, and knows when Unicode is safe. Plain mode is ours, because
 * ora prints nothing for updates when the output is not a terminal.
 */
import ora, { type Ora } from 'ora';

export type ProgressTask = {
  /** Live detail after the title ("user007 starting"); plain mode prints it at most every few seconds. */
  update(detail: string): void;
  /** A detail worth a line of its own in plain mode too (a job changed phase). */
  mark(detail: string): void;
  /** Counted work: `done` of `total`, with optional detail. */
  count(done: number, total: number, detail?: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
};

export type Progress = {
  readonly interactive: boolean;
  start(title: string): ProgressTask;
  /** A line between tasks (printed above a running spinner on a terminal). */
  line(text: string): void;
};

export type ProgressOptions = {
  stream?: NodeJS.WriteStream;
  /** Force plain lines (tests) or the spinner. Default: a TTY, TERM not dumb and no CI variable. */
  interactive?: boolean;
  /** Plain mode: least time between two update lines of one task. */
  plainEveryMs?: number;
  /** Plain mode: a "still running" line after this long without one. */
  heartbeatMs?: number;
  env?: NodeJS.ProcessEnv;
};

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** "█████░░░░░ 12/24" */
export function bar(done: number, total: number, width = 16): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total}`;
}

export function isInteractive(
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return Boolean(stream.isTTY) && env.TERM !== 'dumb' && !('CI' in env);
}

function spinnerTask(
  stream: NodeJS.WriteStream,
  title: string,
): { task: ProgressTask; spinner: Ora } {
  const began = Date.now();
  let detail = '';
  const spinner = ora({ stream, text: title, discardStdin: false }).start();
  const render = () =>
    (spinner.text = `${title}${detail ? ` · ${detail}` : ''} (${seconds(Date.now() - began)})`);
  const clock = setInterval(render, 1000);
  clock.unref();
  const stop = () => clearInterval(clock);
  return {
    spinner,
    task: {
      update(text) {
        detail = text;
        render();
      },
      mark(text) {
        detail = text;
        render();
      },
      count(done, total, text) {
        detail = `${bar(done, total)}${text ? ` · ${text}` : ''}`;
        render();
      },
      succeed(text) {
        stop();
        spinner.succeed(`${text ?? title} (${seconds(Date.now() - began)})`);
      },
      fail(text) {
        stop();
        spinner.fail(text ?? title);
      },
    },
  };
}

function plainTask(
  write: (line: string) => void,
  title: string,
  everyMs: number,
  heartbeatMs: number,
): ProgressTask {
  const began = Date.now();
  let lastAt = began;
  let lastTenth = -1;
  let lastLine = '';
  const print = (line: string) => {
    if (line === lastLine) return;
    lastLine = line;
    lastAt = Date.now();
    write(line);
  };
  write(`${title} …`);
  // A step with nothing to report still says it is alive, so a CI log never looks hung.
  const heartbeat = setInterval(
    () => {
      if (Date.now() - lastAt >= heartbeatMs)
        print(`  ${title}: still running (${seconds(Date.now() - began)})`);
    },
    Math.min(heartbeatMs, 1000),
  );
  heartbeat.unref();
  return {
    update(detail) {
      if (Date.now() - lastAt >= everyMs)
        print(`  ${title}: ${detail} (${seconds(Date.now() - began)})`);
    },
    mark(detail) {
      print(`  ${title}: ${detail} (${seconds(Date.now() - began)})`);
    },
    count(done, total, detail) {
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 0;
      if (tenth !== lastTenth || done === total || Date.now() - lastAt >= everyMs) {
        lastTenth = tenth;
        print(
          `  ${title}: ${done}/${total}${detail ? ` · ${detail}` : ''} (${seconds(Date.now() - began)})`,
        );
      }
    },
    succeed(text) {
      clearInterval(heartbeat);
      write(`✔ ${text ?? title} (${seconds(Date.now() - began)})`);
    },
    fail(text) {
      clearInterval(heartbeat);
      write(`✖ ${text ?? title}`);
    },
  };
}

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? isInteractive(stream, options.env);
  const everyMs = options.plainEveryMs ?? 5_000;
  const write = (line: string) => stream.write(`${line}\n`);
  let current: Ora | undefined;
  return {
    interactive,
    start(title) {
      if (!interactive) return plainTask(write, title, everyMs, options.heartbeatMs ?? 15_000);
      const { task, spinner } = spinnerTask(stream, title);
      current = spinner;
      return task;
    },
    line(text) {
      if (current?.isSpinning) {
        current.clear();
        write(text);
        current.render();
      } else write(text);
    },
  };
}
