/**
 * The Python GPU agent in the project's test command: its own unittest suite (against a stand-in
 * ComfyUI server module), then one format in two languages — the files the Python agent writes are
 * parsed with the zod schemas the relay reads them with.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelMarker,
  Heartbeat,
  JournalBatch,
  JournalRecord,
  batchSeq,
  parseJournalDir,
} from '../../protocol/src/index';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-py-agent-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gpu-agent (Python)', () => {
  it('passes its unittest suite', async () => {
    const result = await run('python3', ['-m', 'unittest', 'discover', 'gpu-agent'], {
      cwd: root,
    }).catch((error: { code?: number; stdout?: string; stderr?: string }) => error);
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    expect(output, output).toMatch(/\nOK\b/);
    expect(output).toMatch(/Ran \d{2,} tests/);
  });

  it('writes journals, a heartbeat and obeys a marker in the shapes protocol/ defines', async () => {
    const { stdout } = await run('python3', ['gpu-agent/tests/example_run.py', dir], { cwd: root });
    const job = stdout.trim();
    const agentDir = join(dir, 'comfyume', job, '.agent');
    const [journalDir] = await readdir(agentDir);
    expect(parseJournalDir(journalDir ?? '')).toEqual({ attempt: 1, replica: 'gpu-example' });
    const names = (await readdir(join(agentDir, journalDir as string))).sort();
    expect(names.map(batchSeq)).toEqual(names.map((_, i) => i + 1));
    const records: JournalRecord[] = [];
    for (const name of names) {
      const batch = JournalBatch.parse(
        JSON.parse(await readFile(join(agentDir, journalDir as string, name), 'utf8')),
      );
      expect(batch.job).toBe(job);
      for (const raw of batch.records) records.push(JournalRecord.parse(raw));
    }
    expect(records.map((r) => r.n)).toEqual(records.map((_, i) => i));
    const types = records.flatMap((r) => (r.kind === 'message' ? [r.type] : []));
    expect(types[0]).toBe('execution_start');
    expect(types.slice(-2)).toEqual(['execution_success', 'executing']);
    expect(records.some((r) => r.kind === 'preview' && r.meta.prompt_id === job)).toBe(true);

    const heartbeat = Heartbeat.parse(
      JSON.parse(await readFile(join(dir, 'comfyume/replicas/gpu-example.json'), 'utf8')),
    );
    expect(heartbeat.pending).toHaveLength(1);
    const waiting = heartbeat.pending[0]!.job;
    CancelMarker.parse(
      JSON.parse(await readFile(join(dir, 'comfyume', waiting, '.agent/cancel.json'), 'utf8')),
    );
    const waitingDir = join(dir, 'comfyume', waiting, '.agent', '1-gpu-example');
    const outcome = [];
    for (const name of (await readdir(waitingDir)).sort()) {
      const batch = JournalBatch.parse(JSON.parse(await readFile(join(waitingDir, name), 'utf8')));
      for (const raw of batch.records) {
        const record = JournalRecord.parse(raw);
        if (record.kind === 'agent')
          outcome.push(`${record.event}${record.outcome ? `:${record.outcome}` : ''}`);
      }
    }
    expect(outcome).toEqual(['accepted', 'cancel:dequeued', 'closed']);
  });
});
