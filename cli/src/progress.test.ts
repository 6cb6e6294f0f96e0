import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bar, createProgress, isInteractive } from './progress';

function capture() {
  const stream = new PassThrough() as PassThrough & NodeJS.WriteStream;
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('progress', () => {
  it('is plain lines when not on a terminal, in CI, or with TERM=dumb', () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    expect(isInteractive(tty, {})).toBe(true);
    expect(isInteractive(tty, { CI: 'true' })).toBe(false);
    expect(isInteractive(tty, { TERM: 'dumb' })).toBe(false);
    expect(isInteractive({ isTTY: false } as NodeJS.WriteStream, {})).toBe(false);
  });

  it('plain mode: a start line, counted work at each tenth and at the end, a ✔ line', () => {
    const out = capture();
    const progress = createProgress({
      stream: out.stream,
      interactive: false,
      plainEveryMs: 60_000,
    });
    const task = progress.start('starting 20 attendee(s)');
    for (let i = 1; i <= 20; i++) task.count(i, 20, `user${String(i).padStart(3, '0')} ready`);
    task.succeed();
    const lines = out.text().trim().split('\n');
    expect(lines[0]).toBe('starting 20 attendee(s) …');
    expect(lines.filter((l) => l.includes('/20')).length).toBe(11); // the first, then 2/20, 4/20 … 20/20: a tenth each
    expect(lines).toContain('  starting 20 attendee(s): 20/20 · user020 ready (0 s)');
    expect(lines.at(-1)).toBe('✔ starting 20 attendee(s) (0 s)');
  });

  it('plain mode: mark() always prints, update() only every few seconds', () => {
    const out = capture();
    const task = createProgress({
      stream: out.stream,
      interactive: false,
      plainEveryMs: 60_000,
    }).start('job');
    task.update('node 3 step 1/20');
    task.update('node 3 step 2/20');
    task.mark('running');
    task.fail('job failed');
    expect(out.text()).toBe('job …\n  job: running (0 s)\n✖ job failed\n');
  });

  it('plain mode: a step with nothing to report says it is still running', async () => {
    const out = capture();
    const task = createProgress({ stream: out.stream, interactive: false, heartbeatMs: 50 }).start(
      'building',
    );
    while (!out.text().includes('still running')) await new Promise((r) => setTimeout(r, 20));
    task.succeed();
    expect(out.text()).toMatch(/^building …\n {2}building: still running \(0 s\)\n/);
  });

  it('draws a bar for counted work', () => {
    expect(bar(6, 24, 8)).toBe('██░░░░░░ 6/24');
    expect(bar(0, 0, 4)).toBe('░░░░ 0/0');
  });
});
