/**
 * @fileoverview One chokidar watcher on `<SFS_OUTPUT_DIR>/comfyume/` per backend, routing each
 * completely written file to the job whose folder it is in (DESIGN.md §3.2).
 *
 * Only the folders of jobs being run are watched: in polling mode (NFS, where inotify sees
 * nothing written by another host) chokidar stats every watched file each interval, so the
 * folders of the thousands of finished jobs of a workshop are ignored rather than polled forever.
 * A job folder added later is scanned at once, which is what a resumed job needs: files written
 * while the relay was down are reported like new ones.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import pino, { type Logger } from 'pino';
import { TAG_ROOT } from '../backends/tagging';

export type WatchedFile = {
  /** Absolute path of the file. */
  path: string;
  /** Path relative to the output folder, POSIX separators: `comfyume/<job>/<node>/…/name_00001_.png`. */
  rel: string;
  size: number;
  mtimeMs: number;
  /** When the watcher handed it over (ms epoch): after it was seen stable for `writeStableMs`. */
  seenAt: number;
};

export type OutputWatcherOptions = {
  /** The GPU output folder as mounted here (SFS_OUTPUT_DIR); tagged files are under its `comfyume/`. */
  outputDir: string;
  /** Polling interval in ms; 0 = native events (inotify), which see nothing written by other NFS hosts. */
  pollMs: number;
  /** A file is taken once its size has not changed for this long (chokidar awaitWriteFinish). */
  writeStableMs?: number;
  /** Period of the reconcile scan of active job folders (safety net under chokidar); default max(2 s, 4 × pollMs). */
  rescanMs?: number;
  logger?: Logger;
};

export type OutputWatcher = {
  /** `<outputDir>/comfyume`. */
  readonly root: string;
  /** Folder of a job's tagged files. */
  jobDir(jobId: string): string;
  /**
   * Watch a job's folder (created if missing) and report every file in it, existing ones first.
   * A file may be reported more than once (add, then change); callers dedupe by path.
   * Resolves once the folder is being watched; the returned function stops watching it.
   */
  watchJob(jobId: string, onFile: (file: WatchedFile) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

type WatchedJob = {
  onFile: (file: WatchedFile) => void;
  /** Paths handed over, so the reconcile scan does not repeat chokidar's work. */
  reported: Set<string>;
  /** size:mtime of unreported files at the previous scan; equal twice = completely written. */
  lastScan: Map<string, string>;
  timer: NodeJS.Timeout;
};

export function createOutputWatcher(options: OutputWatcherOptions): OutputWatcher {
  const logger = options.logger ?? pino({ level: 'silent' });
  const root = resolve(options.outputDir, TAG_ROOT);
  const jobs = new Map<string, WatchedJob>();
  const polling = options.pollMs > 0;
  const stableMs = options.writeStableMs ?? Math.max(200, polling ? options.pollMs : 0);
  const rescanMs = options.rescanMs ?? Math.max(2000, 4 * options.pollMs);

  /** Job id of a path under root ('' for root itself, undefined outside it). */
  const jobOf = (path: string): string | undefined => {
    const rel = relative(root, path);
    if (rel.startsWith('..')) return undefined;
    return rel.split(sep)[0] ?? '';
  };
  const hidden = (path: string) =>
    relative(root, path)
      .split(sep)
      .some((part) => part.startsWith('.'));

  const report = (path: string, s: { size: number; mtimeMs: number }) => {
    const job = jobs.get(jobOf(path) ?? '');
    if (!job) return;
    job.reported.add(path);
    const rel = [TAG_ROOT, ...relative(root, path).split(sep)].join('/');
    job.onFile({ path, rel, size: s.size, mtimeMs: s.mtimeMs, seenAt: Date.now() });
  };

  /**
   * Safety net under chokidar: its native mode reads a new folder before it starts watching it,
   * so a file created in that gap is never reported. A slow scan of the active job folders hands
   * over any unreported file whose size and mtime did not change between two scans.
   */
  const reconcile = async (dir: string, job: WatchedJob) => {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      if (job.reported.has(path) || hidden(path)) continue;
      const s = await stat(path).catch(() => undefined);
      if (!s) continue;
      const signature = `${s.size}:${s.mtimeMs}`;
      if (job.lastScan.get(path) === signature) {
        logger.debug({ path }, 'output found by reconcile scan');
        report(path, s);
      } else job.lastScan.set(path, signature);
    }
  };

  let fsw: FSWatcher | undefined;
  /**
   * chokidar's add() does not say when a folder is being watched; files created in new subfolders
   * before that can be missed by native watchers. Wait (bounded) until chokidar lists the folder.
   */
  const watching = async (dir: string): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (fsw && !fsw.closed && !(dir in fsw.getWatched()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const ready = (async () => {
    await mkdir(root, { recursive: true });
    // Nothing is watched until a job asks: the sentinel is ignored, which makes chokidar ready at once.
    // (Watching root itself and adding job folders under it made native watchers drop events.)
    const watcher = watch(join(root, '.sentinel'), {
      persistent: true,
      ignoreInitial: false,
      usePolling: polling,
      interval: polling ? options.pollMs : 100,
      binaryInterval: polling ? options.pollMs : 300,
      awaitWriteFinish: {
        stabilityThreshold: stableMs,
        pollInterval: Math.min(100, Math.max(20, stableMs / 4)),
      },
      // Other jobs' folders and dotfiles (other tools' partial writes) are not ours to report.
      ignored: (path: string) => {
        const job = jobOf(path);
        if (job === undefined || job === '') return false;
        return !jobs.has(job) || hidden(path);
      },
    });
    watcher.on('error', (error) => logger.warn({ err: error }, 'output watcher error'));
    const deliver = async (path: string, stats?: { size: number; mtimeMs: number }) => {
      const s = stats ?? (await stat(path).catch(() => undefined));
      if (s) report(path, s);
    };
    watcher.on('add', (path, stats) => void deliver(path, stats));
    watcher.on('change', (path, stats) => void deliver(path, stats));
    // awaitWriteFinish only applies after 'ready': wait for it so every file is checked for completeness.
    await new Promise<void>((done) => watcher.once('ready', () => done()));
    fsw = watcher;
  })();

  const release = (jobId: string, job: WatchedJob) => {
    clearInterval(job.timer);
    if (jobs.get(jobId) === job) jobs.delete(jobId);
    fsw?.unwatch(join(root, jobId));
  };

  return {
    root,
    jobDir: (jobId) => join(root, jobId),
    async watchJob(jobId, onFile) {
      await ready;
      const dir = join(root, jobId);
      const job: WatchedJob = {
        onFile,
        reported: new Set(),
        lastScan: new Map(),
        timer: undefined as never,
      };
      job.timer = setInterval(() => void reconcile(dir, job), rescanMs);
      job.timer.unref();
      jobs.set(jobId, job);
      await mkdir(dir, { recursive: true });
      fsw?.add(dir);
      await watching(dir);
      return async () => release(jobId, job);
    },
    async close() {
      await ready.catch(() => undefined);
      for (const [jobId, job] of jobs) release(jobId, job);
      await fsw?.close();
    },
  };
}
