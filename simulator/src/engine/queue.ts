/**
 * @fileoverview ComfyUI's PromptQueue: a heap of pending items ordered by (number, prompt_id), the running
 * item(s), and the in-memory history, with `queue_updated` (a status broadcast) at the same points.
 */
import { heapify, heapPop, heapPush } from './heap';
import type {
  ExecutionStatus,
  HistoryEntry,
  HistoryResult,
  PublicQueueItem,
  QueueItem,
} from './types';

const MAXIMUM_HISTORY_SIZE = 10000;

/** Python tuple comparison of (number, prompt_id, ...) — prompt ids break ties on equal numbers. */
const compare = (a: QueueItem, b: QueueItem): number =>
  a[0] !== b[0] ? a[0] - b[0] : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

const strip = (item: QueueItem): PublicQueueItem => [item[0], item[1], item[2], item[3], item[4]];
const clone = <T>(value: T): T => structuredClone(value);

export class PromptQueue {
  private queue: QueueItem[] = [];
  private running = new Map<number, QueueItem>();
  private taskCounter = 0;
  private history = new Map<string, HistoryEntry>();
  private waiters: Array<() => void> = [];

  /** `queueUpdated` is the server's status broadcast. */
  constructor(private readonly queueUpdated: () => void) {}

  put(item: QueueItem): void {
    heapPush(this.queue, item, compare);
    this.queueUpdated();
    this.waiters.shift()?.();
  }

  /** Resolves with the next item (moved to running) once one is pending. */
  async get(signal?: AbortSignal): Promise<{ item: QueueItem; id: number } | undefined> {
    while (this.queue.length === 0) {
      if (signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        // One abort listener per wait, removed when the wait ends (else they pile up on the signal).
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    const item = heapPop(this.queue, compare) as QueueItem;
    const id = this.taskCounter++;
    this.running.set(id, clone(item));
    this.queueUpdated();
    return { item, id };
  }

  taskDone(id: number, result: HistoryResult, status: ExecutionStatus | null): void {
    const item = this.running.get(id);
    this.running.delete(id);
    if (!item) return;
    if (this.history.size > MAXIMUM_HISTORY_SIZE)
      this.history.delete(this.history.keys().next().value as string);
    this.history.set(item[1], { prompt: strip(item), status: clone(status), ...result });
    this.queueUpdated();
  }

  /** [running items, raw pending heap] (5-tuples). */
  currentQueue(): [PublicQueueItem[], PublicQueueItem[]] {
    return [
      [...this.running.values()].map((i) => clone(strip(i))),
      this.queue.map((i) => clone(strip(i))),
    ];
  }

  runningItems(): QueueItem[] {
    return [...this.running.values()];
  }

  pendingItems(): QueueItem[] {
    return [...this.queue];
  }

  tasksRemaining(): number {
    return this.queue.length + this.running.size;
  }

  wipeQueue(): void {
    this.queue = [];
    this.queueUpdated();
  }

  /**
   * Removes the first pending item matching. Deleting the last one goes through wipeQueue, so real
   * ComfyUI broadcasts two status frames then (recorded in run4); we keep that quirk.
   */
  deleteQueueItem(match: (item: QueueItem) => boolean): boolean {
    const index = this.queue.findIndex(match);
    if (index < 0) return false;
    if (this.queue.length === 1) this.wipeQueue();
    else {
      this.queue.splice(index, 1);
      heapify(this.queue, compare);
    }
    this.queueUpdated();
    return true;
  }

  /** GET /history semantics: `offset` -1 means "the last max_items". */
  getHistory(
    options: { promptId?: string; maxItems?: number; offset?: number } = {},
  ): Record<string, HistoryEntry> {
    if (options.promptId !== undefined) {
      const entry = this.history.get(options.promptId);
      return entry ? { [options.promptId]: clone(entry) } : {};
    }
    const { maxItems } = options;
    let offset = options.offset ?? -1;
    if (offset < 0 && maxItems !== undefined) offset = this.history.size - maxItems;
    const out: Record<string, HistoryEntry> = {};
    let i = 0;
    for (const [key, entry] of this.history) {
      if (i >= offset) {
        out[key] = entry;
        if (maxItems !== undefined && Object.keys(out).length >= maxItems) break;
      }
      i++;
    }
    return out;
  }

  historyEntries(): Map<string, HistoryEntry> {
    return this.history;
  }

  wipeHistory(): void {
    this.history.clear();
  }

  deleteHistoryItem(id: string): void {
    this.history.delete(id);
  }
}
