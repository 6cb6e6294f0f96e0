/** A dead direct GPU vs a network blip: only a closed socket with every health check failing for deadAfterMs is dead. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseRef, refOf } from './direct-ref';
import { GpuHealth, type DeathVerdict } from './gpu-health';
import { until } from '../../../../kit/until';

const silent = pino({ level: 'silent' });

/** A GpuHealth whose checks answer as `answers()` says, counting them. */
function health(answers: () => boolean, deadAfterMs = 300) {
  let checks = 0;
  const h = new GpuHealth(
    'gpu-test',
    async () => {
      checks += 1;
      if (!answers()) throw new Error('connect ECONNREFUSED');
    },
    { deadAfterMs, pollMs: 40 },
    silent,
  );
  return { h, checks: () => checks };
}

/** Fine-grained polling: these tests look at timings right after the condition. */
const soon = (condition: () => boolean) => until(condition, 30_000, 'condition', 10);

describe('GpuHealth', () => {
  it('judges the GPU dead once its socket closed and every check failed for deadAfterMs, and tells every listener once', async () => {
    const { h } = health(() => false);
    const verdicts: DeathVerdict[] = [];
    h.onDead((v) => verdicts.push(v));
    const closedAt = Date.now();
    h.socketClosed();
    await soon(() => verdicts.length > 0);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(300);
    expect(verdicts[0]!.why).toMatch(
      /^its connection closed and it has not answered for \d+\.\d s$/,
    );
    expect(verdicts[0]!.why).not.toContain('ECONNREFUSED'); // the raw failure is for the log only
    let late: DeathVerdict | undefined;
    h.onDead((v) => (late = v));
    expect(late).toBe(verdicts[0]);
    expect(verdicts).toHaveLength(1);
    h.stop();
  });

  it('never judges a GPU that answers dead, however long its socket stays closed (a blip)', async () => {
    const { h, checks } = health(() => true, 100);
    let dead = false;
    h.onDead(() => (dead = true));
    h.socketClosed();
    await soon(() => checks() >= 10);
    expect(dead).toBe(false);
    expect(h.dead).toBeUndefined();
    h.stop();
  });

  it('starts over when a check answers before deadAfterMs, and forgets the verdict when the socket opens', async () => {
    let up = false;
    const { h, checks } = health(() => up, 200);
    h.socketClosed();
    await soon(() => checks() >= 2);
    up = true; // answered: the failures so far do not count
    const answered = checks();
    await soon(() => checks() >= answered + 1);
    up = false;
    const failingFrom = Date.now();
    await soon(() => h.dead !== undefined);
    expect(Date.now() - failingFrom).toBeGreaterThanOrEqual(150);
    h.socketOpened();
    expect(h.dead).toBeUndefined();
    const after = checks();
    await new Promise((r) => setTimeout(r, 120));
    expect(checks()).toBe(after); // no checks while the socket is open
    h.stop();
  });
});

describe('direct backendRef', () => {
  it('is the sid for attempt 1 and names attempt and GPU after a resubmit', () => {
    expect(refOf('comfyume-relay-1', 1, 'direct:a:1')).toBe('comfyume-relay-1');
    expect(parseRef('comfyume-relay-1')).toEqual({ sid: 'comfyume-relay-1', attempt: 1 });
    const moved = refOf('comfyume-relay-1', 2, 'direct:127.0.0.1:8188/gpu');
    expect(moved).toBe('comfyume-relay-1#2@direct:127.0.0.1:8188/gpu');
    expect(parseRef(moved)).toEqual({
      sid: 'comfyume-relay-1',
      attempt: 2,
      gpu: 'direct:127.0.0.1:8188/gpu',
    });
    expect(parseRef(undefined)).toEqual({ attempt: 1 });
  });
});
