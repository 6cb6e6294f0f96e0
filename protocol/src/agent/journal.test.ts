// The agent's file formats against the shared fixture (the Python agent's tests read the same file).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CancelMarker,
  Heartbeat,
  JournalBatch,
  JournalRecord,
  PromptMarker,
  ReplicaId,
} from './journal';
import {
  batchFileName,
  batchSeq,
  cancelPath,
  heartbeatPath,
  journalPath,
  parseJournalDir,
} from './paths';

type Fixture = {
  jobId: string;
  replica: string;
  paths: Record<string, string>;
  marker: { comfyume: unknown };
  batches: { records: unknown[] }[];
  heartbeat: unknown;
  cancel: unknown;
  invalid: { replicaIds: string[]; records: unknown[]; batches: unknown[] };
};

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/journal.example.json', import.meta.url), 'utf8'),
) as Fixture;

describe('agent journal format', () => {
  it('accepts every batch and record of the example run, numbered in order', () => {
    const numbers: number[] = [];
    for (const [index, raw] of fixture.batches.entries()) {
      const batch = JournalBatch.parse(raw);
      expect(batch.seq).toBe(index + 1);
      for (const record of batch.records) numbers.push(JournalRecord.parse(record).n);
    }
    expect(numbers).toEqual(numbers.map((_, i) => i));
  });

  it('accepts the heartbeat, the cancel marker and the prompt marker', () => {
    expect(Heartbeat.parse(fixture.heartbeat).running?.job).toBe(fixture.jobId);
    expect(CancelMarker.parse(fixture.cancel).reason).toBe('user');
    expect(PromptMarker.parse(fixture.marker.comfyume)).toEqual({ job: fixture.jobId, attempt: 1 });
  });

  it('refuses bad replica ids, records and batches', () => {
    for (const id of fixture.invalid.replicaIds)
      expect(ReplicaId.safeParse(id).success, id).toBe(false);
    for (const record of fixture.invalid.records)
      expect(JournalRecord.safeParse(record).success).toBe(false);
    for (const batch of fixture.invalid.batches)
      expect(JournalBatch.safeParse(batch).success).toBe(false);
  });

  it('builds the same paths the fixture lists', () => {
    const { jobId, replica, paths } = fixture;
    expect(heartbeatPath(replica)).toBe(paths.heartbeat);
    expect(journalPath(jobId, 1, replica)).toBe(paths.journalDir);
    expect(`${journalPath(jobId, 1, replica)}/${batchFileName(1)}`).toBe(paths.batch1);
    expect(cancelPath(jobId)).toBe(paths.cancel);
    expect(batchSeq('00000012.json')).toBe(12);
    expect(batchSeq('.00000012.json.tmp')).toBeUndefined();
    expect(parseJournalDir(`2-${replica}`)).toEqual({ attempt: 2, replica });
    expect(parseJournalDir('1-../x')).toBeUndefined();
  });
});
