/**
 * @fileoverview What the WebSocket merge must remember across a sidecar restart (even `kill -9`),
 * saved together so it is always consistent: the last relay event handled (the event stream resumes
 * after it), every job's sequence state (so replayed events are not applied twice and a job resumes
 * where it was), and each tab's unconfirmed messages (what a reconnecting tab missed). One JSON
 * file, written atomically (write-file-atomic) shortly after each change.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import type { BookSnapshot } from '../../../protocol/src/comfy/sequence/sequence-book';
import type { Logger } from '../logger';
import type { OutboxSnapshot } from './client-outbox';

const JournalFile = z.object({
  lastEventId: z.string().optional(),
  book: z
    .object({ timelines: z.array(z.record(z.string(), z.unknown())) })
    .default({ timelines: [] }),
  outbox: z
    .object({ seq: z.number(), clients: z.record(z.string(), z.unknown()) })
    .default({ seq: 0, clients: {} }),
});

export type JournalData = { lastEventId?: string; book: BookSnapshot; outbox: OutboxSnapshot };

const fileIn = (dir: string) => join(dir, 'ws-journal.json');

/** What the previous run saved (empty on a first start, or when the file is unreadable). */
export function readWsJournal(dir: string, logger: Logger): JournalData {
  try {
    return JournalFile.parse(
      JSON.parse(readFileSync(fileIn(dir), 'utf8')),
    ) as unknown as JournalData;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn(
        { err: error },
        'WebSocket journal unreadable; tabs that reconnect now may miss what they missed',
      );
    return { book: { timelines: [] }, outbox: { seq: 0, clients: {} } };
  }
}

export type WsJournal = {
  /** Save soon: `collect` is called at write time, so the newest state is what gets written. */
  changed(): void;
  close(): Promise<void>;
};

export function createWsJournal(
  dir: string,
  collect: () => JournalData,
  logger: Logger,
  debounceMs = 250,
): WsJournal {
  mkdirSync(dir, { recursive: true });
  const file = fileIn(dir);
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = () => {
    timer = undefined;
    const text = JSON.stringify(collect());
    writing = writing
      .then(() => writeFileAtomic(file, text))
      .catch((error: unknown) =>
        logger.error({ err: error }, 'could not save the WebSocket journal'),
      );
    return writing;
  };

  return {
    changed() {
      timer ??= setTimeout(flush, debounceMs);
    },
    async close() {
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
}
