// Reading a journal on a real folder: in order, each record once, gaps waited for then passed, bad files refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeAtomic } from '../../../../../test/support/write-atomic';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchFileName, journalPath } from '../../../../../protocol/src/index';
import { JournalReader } from './journal-reader';

const JOB = '5b8f1c2e-0d3a-4f6b-9c7e-1a2b3c4d5e6f';
let dir: string;
let lines: string[];
let reader: JournalReader;

const record = (n: number, type = 'progress') => ({
  n,
  at: n,
  kind: 'message',
  type,
  data: { prompt_id: JOB, value: n },
});
const batch = (
  seq: number,
  records: unknown[],
  replica = 'gpu-a',
  patch: Record<string, unknown> = {},
) =>
  writeAtomic(
    join(dir, ...journalPath(JOB, 1, replica).split('/'), batchFileName(seq)),
    JSON.stringify({ v: 1, job: JOB, attempt: 1, replica, seq, records, ...patch }),
  );
const numbers = async () => (await reader.read()).map((r) => r.n);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'comfyume-reader-'));
  lines = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }),
  );
  reader = new JournalReader(dir, JOB, 1, logger, {
    maxBatchBytes: 1 << 20,
    maxPreviewBytes: 1000,
    gapMs: 200,
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('journal reader', () => {
  it('hands over records in batch order, each once, waiting for a batch NFS shows late', async () => {
    expect(await reader.locate()).toBe(false);
    expect(await numbers()).toEqual([]);
    batch(1, [record(0), record(1)]);
    batch(3, [record(4)]);
    expect(await numbers()).toEqual([0, 1]); // batch 2 not visible yet: 3 waits
    batch(2, [record(2), record(3)]);
    expect(await numbers()).toEqual([2, 3, 4]);
    expect(await numbers()).toEqual([]);
    expect(reader.replica).toBe('gpu-a');
  });

  it('moves past a batch that never appears, with one log line', async () => {
    batch(1, [record(0)]);
    batch(3, [record(5)]);
    expect(await numbers()).toEqual([0]);
    await new Promise((r) => setTimeout(r, 250));
    expect(await numbers()).toEqual([5]);
    expect(lines.filter((l) => l.includes('journal batch missing'))).toHaveLength(1);
  });

  it('refuses batches that name another job, attempt or replica, and records it cannot trust', async () => {
    batch(1, [
      record(0),
      { n: 1, at: 1, kind: 'message', type: 'progress', data: { prompt_id: 'another' } },
      { n: 2, kind: 'bogus' },
      record(3),
    ]);
    batch(2, [record(4)], 'gpu-a', { job: '0c9d8e7f-6a5b-4c3d-8e1f-2a3b4c5d6e7f' });
    batch(3, [
      record(5),
      {
        n: 6,
        at: 6,
        kind: 'preview',
        source: 4,
        mime: 'image/jpeg',
        meta: {},
        image: 'A'.repeat(5000),
      },
    ]);
    expect(await numbers()).toEqual([0, 3, 5]);
    const issues = lines.map((l) => JSON.parse(l) as { msg: string; issue?: string });
    expect(issues.map((l) => l.msg)).toEqual([
      'journal record refused; not forwarded',
      'journal record refused; not forwarded',
      'journal batch refused; ignored',
      'journal record refused; not forwarded',
    ]);
    expect(issues[0]!.issue).toContain('for prompt another');
    expect(issues[3]!.issue).toMatch(/a preview of \d+ bytes/);
  });

  it('follows one replica when two journal the same attempt, and says so', async () => {
    batch(1, [record(0)], 'gpu-b');
    batch(1, [record(0, 'executing')], 'gpu-a');
    expect((await reader.read()).map((r) => (r.kind === 'message' ? r.type : ''))).toEqual([
      'executing',
    ]);
    expect(reader.replica).toBe('gpu-a');
    expect(lines.filter((l) => l.includes('two replicas journal the same attempt'))).toHaveLength(
      1,
    );
  });
});
