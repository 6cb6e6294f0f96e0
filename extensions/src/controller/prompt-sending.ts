/**
 * @fileoverview "Sending…" on every frontend generation: counts the prompts this tab is handing
 * to the server, from the moment the user pressed Run until the job they became is known.
 *
 * Frontends differ (their `src/scripts/app.ts` `queuePrompt`): 1.45 announces a Run with
 * `promptQueueing {requestId, batchCount}` before it builds the prompt, and sends `promptQueued`
 * only when at least one POST succeeded; 1.35 never sends `promptQueueing` and sends
 * `promptQueued` once after the loop, even when the POST failed. Every generation posts through
 * `api.queuePrompt(number, prompt, …)`, one call per prompt, so wrapping that method sees each
 * POST start and end on all of them; `promptQueueing`, where it exists, only starts the phase
 * earlier (big graphs take a moment to serialise).
 */

/** What the server answered a POST /prompt with, when it accepted the prompt. */
export type Accepted = { promptId: string; number?: number };

export type PromptPostHooks = {
  started(): void;
  /** `undefined` when the POST failed (the host shows why). */
  ended(accepted: Accepted | undefined): void;
};

type QueuePromptHost = { queuePrompt: (...args: never[]) => Promise<unknown> };

const acceptedFrom = (res: unknown): Accepted | undefined => {
  if (typeof res !== 'object' || res === null) return undefined;
  const { prompt_id: promptId, number } = res as { prompt_id?: unknown; number?: unknown };
  if (typeof promptId !== 'string' || !promptId) return undefined;
  return { promptId, number: typeof number === 'number' ? number : undefined };
};

/**
 * Wraps `api.queuePrompt` (keeping `this`, the arguments, the result and the error, and whatever
 * another extension wrapped before us). Returns the function that restores the previous one.
 */
export function watchPromptPosts(api: QueuePromptHost, hooks: PromptPostHooks): () => void {
  const previous = api.queuePrompt;
  if (typeof previous !== 'function') return () => undefined;
  const hadOwn = Object.hasOwn(api, 'queuePrompt');
  const wrapped = async function (this: unknown, ...args: never[]): Promise<unknown> {
    hooks.started();
    let accepted: Accepted | undefined;
    try {
      const res = await previous.apply(this, args);
      accepted = acceptedFrom(res);
      return res;
    } finally {
      hooks.ended(accepted);
    }
  };
  api.queuePrompt = wrapped;
  return () => {
    if (api.queuePrompt !== wrapped) return; // someone wrapped us: leave their chain intact
    if (hadOwn) api.queuePrompt = previous;
    else delete (api as Partial<QueuePromptHost>).queuePrompt;
  };
}

export type SendingTimeouts = {
  /** A Run announced by `promptQueueing` whose POST never starts (the frontend gave up before it). */
  announcedMs: number;
  /** An accepted prompt whose job never shows up in this tab's state. */
  awaitingMs: number;
};

const defaultTimeouts: SendingTimeouts = { announcedMs: 15_000, awaitingMs: 5_000 };

/**
 * The count behind "Sending…": prompts announced but not yet posted, being posted, and accepted
 * but not yet visible as jobs. "Sending" ends when the job shows up, not when the POST returns,
 * so the banner never flashes the previous job's outcome in between.
 */
export class SendingCounter {
  private announced = 0;
  private posting = 0;
  private readonly awaiting = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly known = new Set<string>();
  private announceTimer: ReturnType<typeof setTimeout> | undefined;
  private last = 0;

  constructor(
    private readonly onChange: (count: number) => void,
    private readonly timeouts: SendingTimeouts = defaultTimeouts,
  ) {}

  get count(): number {
    return this.announced + this.posting + this.awaiting.size;
  }

  /** `promptQueueing`: a Run of `batchCount` prompts is about to be posted. */
  announce(batchCount: number): void {
    this.announced += Math.max(1, Math.floor(batchCount) || 1);
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => {
      this.announced = 0;
      this.changed();
    }, this.timeouts.announcedMs);
    this.changed();
  }

  postStarted(): void {
    if (this.announced > 0) this.announced--;
    this.posting++;
    this.changed();
  }

  postEnded(accepted: Accepted | undefined): void {
    this.posting = Math.max(0, this.posting - 1);
    if (!accepted) {
      // The frontend stops that Run at the first refused prompt: the rest of it will not come.
      this.announced = 0;
    } else if (!this.known.has(accepted.promptId)) {
      const id = accepted.promptId;
      this.awaiting.set(
        id,
        setTimeout(() => {
          this.awaiting.delete(id);
          this.changed();
        }, this.timeouts.awaitingMs),
      );
    }
    this.changed();
  }

  /** A job this tab now knows about (its events, or the shared state). */
  seen(id: string): void {
    this.known.add(id);
    if (this.known.size > 500) this.known.delete(this.known.values().next().value as string);
    const timer = this.awaiting.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.awaiting.delete(id);
    this.changed();
  }

  stop(): void {
    clearTimeout(this.announceTimer);
    for (const timer of this.awaiting.values()) clearTimeout(timer);
  }

  private changed(): void {
    const count = this.count;
    if (count === this.last) return;
    this.last = count;
    this.onChange(count);
  }
}

const batchCountOf = (detail: unknown): number => {
  const n = (detail as { batchCount?: unknown } | null)?.batchCount;
  return typeof n === 'number' && n > 0 ? n : 1;
};

/**
 * Feeds `counter` from the host: `promptQueueing` where the frontend sends it, and every
 * `api.queuePrompt` call. `onAccepted` hears each prompt the server accepted, before the counter
 * starts waiting for its job to show up. Returns the function that undoes both.
 */
export function connectPromptSending(
  api: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> & QueuePromptHost,
  counter: SendingCounter,
  onAccepted: (accepted: Accepted) => void,
): () => void {
  const onQueueing = (e: Event) => counter.announce(batchCountOf((e as CustomEvent).detail));
  api.addEventListener('promptQueueing', onQueueing);
  const unwrap = watchPromptPosts(api, {
    started: () => counter.postStarted(),
    ended: (accepted) => {
      if (accepted) onAccepted(accepted);
      counter.postEnded(accepted);
    },
  });
  return () => {
    api.removeEventListener('promptQueueing', onQueueing);
    unwrap();
  };
}
