/**
 * "Sending…" from what each frontend generation really does when Run is pressed (their
 * `src/scripts/app.ts` queuePrompt): 1.35.9 calls api.queuePrompt and then sends promptQueued
 * (no promptQueueing); 1.45.0 sends promptQueueing first and promptQueued only after a success.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  connectPromptSending,
  SendingCounter,
  watchPromptPosts,
  type Accepted,
} from './prompt-sending';

type Answer = { prompt_id: string; number: number; node_errors: Record<string, never> };

/** An api like the stock one: an EventTarget whose queuePrompt is a prototype method using `this`. */
class FakeApi extends EventTarget {
  answers: (Answer | Error)[] = [];
  calls: unknown[][] = [];
  readonly clientId = 'tab-1';
  async queuePrompt(number: number, prompt: unknown): Promise<Answer> {
    this.calls.push([number, prompt, this.clientId]);
    await Promise.resolve();
    const next = this.answers.shift() ?? new Error('no answer scripted');
    if (next instanceof Error) throw next;
    return next;
  }
  fire(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

const answer = (id: string): Answer => ({ prompt_id: id, number: 1, node_errors: {} });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('watchPromptPosts', () => {
  it('keeps this, arguments, result and error, and reports each POST', async () => {
    const api = new FakeApi();
    const seen: (string | undefined)[] = [];
    const unwrap = watchPromptPosts(api, {
      started: () => seen.push('start'),
      ended: (a) => seen.push(a?.promptId),
    });
    api.answers = [answer('p1'), new Error('Prompt outputs failed validation')];
    await expect(api.queuePrompt(0, { a: 1 })).resolves.toEqual(answer('p1'));
    await expect(api.queuePrompt(-1, { b: 2 })).rejects.toThrow('failed validation');
    expect(api.calls).toEqual([
      [0, { a: 1 }, 'tab-1'],
      [-1, { b: 2 }, 'tab-1'],
    ]);
    expect(seen).toEqual(['start', 'p1', 'start', undefined]);
    unwrap();
    expect(Object.hasOwn(api, 'queuePrompt')).toBe(false);
  });

  it('chains onto a wrapper another extension installed first, and unwraps only itself', async () => {
    const api = new FakeApi();
    const order: string[] = [];
    const original = api.queuePrompt;
    api.queuePrompt = async function (this: FakeApi, ...args: Parameters<FakeApi['queuePrompt']>) {
      order.push('other');
      return original.apply(this, args);
    };
    const theirs = api.queuePrompt;
    const unwrap = watchPromptPosts(api, {
      started: () => order.push('ours'),
      ended: () => undefined,
    });
    api.answers = [answer('p1')];
    await api.queuePrompt(0, {});
    expect(order).toEqual(['ours', 'other']);
    unwrap();
    expect(api.queuePrompt).toBe(theirs);
  });
});

describe('SendingCounter', () => {
  const counter = () => {
    const counts: number[] = [];
    const c = new SendingCounter((n) => counts.push(n), { announcedMs: 10_000, awaitingMs: 4_000 });
    return { c, counts };
  };

  it('lasts from promptQueueing until the accepted job shows up, not until the POST returns', () => {
    const { c, counts } = counter();
    c.announce(2);
    c.postStarted();
    c.postEnded({ promptId: 'a' });
    c.postStarted();
    expect(c.count).toBe(2); // a awaiting, b posting
    c.postEnded({ promptId: 'b' });
    c.seen('a');
    c.seen('b');
    expect(counts).toEqual([2, 1, 0]); // never 0 between announcing and the jobs showing up
  });

  it('ends at once for a refused prompt and forgets the rest of that Run', () => {
    const { c } = counter();
    c.announce(3);
    c.postStarted();
    c.postEnded(undefined);
    expect(c.count).toBe(0);
  });

  it('does not wait for a job this tab already saw (its events beat the POST answer)', () => {
    const { c } = counter();
    c.postStarted();
    c.seen('fast');
    c.postEnded({ promptId: 'fast' });
    expect(c.count).toBe(0);
  });

  it('gives up on an announcement with no POST, and on a job that never shows up', () => {
    const { c } = counter();
    c.announce(1);
    vi.advanceTimersByTime(10_000);
    expect(c.count).toBe(0);
    c.postStarted();
    c.postEnded({ promptId: 'lost' });
    expect(c.count).toBe(1);
    vi.advanceTimersByTime(4_000);
    expect(c.count).toBe(0);
  });
});

describe('connectPromptSending', () => {
  async function run(
    generation: '1.35.9' | '1.45.0',
    answers: (Answer | Error)[],
    batchCount: number,
  ) {
    const api = new FakeApi();
    api.answers = answers;
    const counts: number[] = [];
    const accepted: Accepted[] = [];
    const c = new SendingCounter((n) => counts.push(n));
    const stop = connectPromptSending(api, c, (a) => accepted.push(a));
    // The frontend's queuePrompt loop, reduced to its events and api calls.
    if (generation === '1.45.0') api.fire('promptQueueing', { requestId: 1, batchCount });
    let queued = 0;
    for (let i = 0; i < batchCount; i++) {
      try {
        await api.queuePrompt(0, { i });
        queued++;
      } catch {
        break;
      }
    }
    if (generation === '1.35.9' || queued > 0)
      api.fire('promptQueued', {
        number: 0,
        batchCount: generation === '1.35.9' ? batchCount : queued,
      });
    return { c, counts, accepted, stop };
  }

  it.each(['1.35.9', '1.45.0'] as const)(
    'shows Sending on %s and hands over accepted ids',
    async (generation) => {
      const { c, counts, accepted, stop } = await run(generation, [answer('x'), answer('y')], 2);
      expect(counts[0]).toBeGreaterThan(0);
      expect(accepted.map((a) => a.promptId)).toEqual(['x', 'y']);
      expect(c.count).toBe(2); // both accepted, waiting to show up
      c.seen('x');
      c.seen('y');
      expect(c.count).toBe(0);
      stop();
    },
  );

  it.each(['1.35.9', '1.45.0'] as const)(
    'clears Sending on %s when the server refuses the prompt',
    async (generation) => {
      const { c, accepted } = await run(generation, [new Error('400')], 3);
      expect(accepted).toEqual([]);
      expect(c.count).toBe(0);
    },
  );
});
