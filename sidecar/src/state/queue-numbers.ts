/**
 * @fileoverview ComfyUI's queue `number` for remote jobs, continuing the attendee's own ComfyUI: one
 * increasing sequence over local and remote jobs. Frontend ≤ 1.38.3 (`reconcileHistoryV1`) adds a
 * history item only if its number is above the highest it already shows, so a remote job numbered
 * below a local one never appears in the queue panel. The counter (persisted in the state file, so
 * a sidecar restart continues it) is moved past every number seen in the local ComfyUI's queue and
 * history (read at start and again before each prompt is numbered) and in this user's relay jobs.
 */
import { isDict } from '../../../protocol/src/comfy/py-values';
import type { LocalComfy } from '../comfy/local-comfy';
import type { Logger } from '../logger';
import type { StateStore } from './state-store';

export type QueueNumbers = {
  /** The next number (ComfyUI's `self.number`, then incremented). */
  next(): number;
  /** Numbers already used elsewhere (local ComfyUI, relay jobs): the counter moves past them. */
  observe(numbers: Iterable<unknown>): void;
  /** Reads the local ComfyUI's queue and recent history; waits at most `waitMs`, never throws. */
  syncLocal(options?: { full?: boolean }): Promise<void>;
};

/** `[number, id, …]` of every queue item of a `/queue` body. */
export function queueNumbers(queue: unknown): unknown[] {
  if (!isDict(queue)) return [];
  const items = [queue.queue_running, queue.queue_pending].flatMap((list) =>
    Array.isArray(list) ? list : [],
  );
  return items.map((item) => (Array.isArray(item) ? item[0] : undefined));
}

/** `prompt[0]` of every entry of a `/history` body. */
export function historyNumbers(history: unknown): unknown[] {
  if (!isDict(history)) return [];
  return Object.values(history).map((entry) =>
    isDict(entry) && Array.isArray(entry.prompt) ? entry.prompt[0] : undefined,
  );
}

export function createQueueNumbers(deps: {
  state: StateStore;
  local: LocalComfy;
  logger: Logger;
  waitMs?: number;
  recentItems?: number;
}): QueueNumbers {
  const waitMs = deps.waitMs ?? 1_500;
  const recent = deps.recentItems ?? 64;
  const observe = (numbers: Iterable<unknown>) => {
    for (const n of numbers) if (typeof n === 'number') deps.state.numberSeen(n);
  };

  return {
    next: () => deps.state.nextNumber(),
    observe,
    async syncLocal(options = {}) {
      // History is kept in completion order, so its last items hold the highest numbers.
      const historyPath = options.full ? '/history' : `/history?max_items=${recent}`;
      const read = Promise.all([
        deps.local.getJson('/queue'),
        deps.local.getJson(historyPath),
      ]).then(([queue, history]) => {
        observe(queueNumbers(queue));
        observe(historyNumbers(history));
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'late'>(
        (resolve) => (timer = setTimeout(() => resolve('late'), waitMs)),
      );
      const outcome = await Promise.race([read.then(() => 'read' as const), timeout]).finally(() =>
        clearTimeout(timer),
      );
      if (outcome === 'late')
        deps.logger.debug(
          { waitMs },
          'local ComfyUI queue/history not read in time; numbering from the saved counter',
        );
    },
  };
}
