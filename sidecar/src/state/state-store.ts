/**
 * @fileoverview The sidecar's own persisted state: the last relay event id (so a restart resumes
 * the event stream), ComfyUI's queue-number counter, history entries the user hid, the local names
 * given to fetched outputs, the last run (ComfyUI's cache) and client-chosen prompt ids. One small
 * JSON file, written atomically and debounced.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../logger';

const StateFile = z.object({
  lastEventId: z.string().optional(),
  counter: z.number().int().nonnegative().default(0),
  hidden: z.array(z.string()).default([]),
  /** Jobs finished at or before this time are hidden (POST /history {clear:true}). */
  clearedAt: z.number().default(0),
  /** `${jobId}|${type}|${subfolder}|${filename}` → local filename. */
  outputNames: z.record(z.string(), z.string()).default({}),
  /** The last prompt sent for execution and its cache key (what ComfyUI's cache would hold). */
  lastRun: z.object({ jobId: z.string(), key: z.string() }).optional(),
  /** Relay job id → the prompt_id the client chose for it (oldest first, bounded). */
  promptIds: z.record(z.string(), z.string()).default({}),
});
type StateData = z.infer<typeof StateFile>;

export type StateStore = ReturnType<typeof openStateStore>;

export const outputKey = (jobId: string, type: string, subfolder: string, filename: string) =>
  `${jobId}|${type}|${subfolder}|${filename}`;

/** How many client-chosen prompt ids are remembered (the relay lists them again when needed). */
const MAX_PROMPT_IDS = 2_000;

export function openStateStore(dir: string, logger: Logger) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'state.json');
  let data: StateData = StateFile.parse({});
  try {
    data = StateFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn({ err: error }, 'sidecar state unreadable; starting fresh');
  }
  const hidden = new Set(data.hidden);
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = () => {
    timer = undefined;
    const snapshot = JSON.stringify({ ...data, hidden: [...hidden] });
    writing = writing.then(async () => {
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, snapshot);
        await rename(tmp, file);
      } catch (error) {
        logger.error({ err: error }, 'could not persist sidecar state');
      }
    });
    return writing;
  };
  const changed = () => {
    timer ??= setTimeout(flush, 200);
  };

  return {
    get lastEventId() {
      return data.lastEventId;
    },
    setLastEventId(id: string) {
      data.lastEventId = id;
      changed();
    },
    /** ComfyUI's `self.number`: returns the current value and increments it. */
    nextNumber(): number {
      const n = data.counter;
      data.counter = n + 1;
      changed();
      return n;
    },
    /** Moves the counter past `n` (a number already used by this user's ComfyUI or relay jobs). */
    numberSeen(n: number) {
      if (!Number.isFinite(n) || n < data.counter) return;
      data.counter = Math.floor(n) + 1;
      changed();
    },
    isHidden(jobId: string, finishedAt: number | undefined): boolean {
      return hidden.has(jobId) || (finishedAt !== undefined && finishedAt <= data.clearedAt);
    },
    hide(ids: readonly string[]) {
      for (const id of ids) hidden.add(id);
      changed();
    },
    clearHistory(now: number) {
      data.clearedAt = now;
      changed();
    },
    get promptIds(): Readonly<Record<string, string>> {
      return data.promptIds;
    },
    setPromptId(jobId: string, promptId: string) {
      data.promptIds[jobId] = promptId;
      const ids = Object.keys(data.promptIds);
      for (const old of ids.slice(0, Math.max(0, ids.length - MAX_PROMPT_IDS)))
        delete data.promptIds[old];
      changed();
    },
    get lastRun(): { jobId: string; key: string } | undefined {
      return data.lastRun;
    },
    setLastRun(run: { jobId: string; key: string }) {
      data.lastRun = run;
      changed();
    },
    outputName(key: string): string | undefined {
      return data.outputNames[key];
    },
    setOutputName(key: string, name: string) {
      data.outputNames[key] = name;
      changed();
    },
    async close() {
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
}
