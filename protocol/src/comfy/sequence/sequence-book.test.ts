/**
 * The sequence's rules beyond the recordings: evidence without GPU messages, the GPU's ending held
 * for the record, failures before any GPU, queue deletes, versions, reconnects, restarts.
 */
import { describe, expect, it } from 'vitest';
import type { ComfyMessage, Emission, JobRecord, SequenceInput } from './facts';
import { SequenceBook } from './sequence-book';
import { jobLevelError } from './terminal';

const JOB = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

const record = (patch: Partial<JobRecord> = {}): JobRecord => ({
  id: JOB,
  userId: 'user001',
  clientId: 'tab',
  state: 'queued',
  lane: 'normal',
  number: 0,
  createdAt: 1_000,
  outputsToExecute: ['2'],
  executedNodes: [],
  cachedNodes: [],
  outputs: {},
  statusMessages: [],
  ...patch,
});

/** Emissions as the frames a tab sees (`status(n)` for status frames). */
const frames = (emissions: Emission[]) =>
  emissions.map((e) =>
    e.kind === 'status' ? `status(${e.remoteRemaining})` : describe1(e.message),
  );
function describe1(m: ComfyMessage): string {
  if (m.type === 'executing') return `executing:${String(m.data.node)}`;
  if (m.type === 'executed') return `executed:${String(m.data.node)}`;
  if (m.type === 'progress_state') {
    const nodes = m.data.nodes as Record<string, { state: string }>;
    return `PS{${Object.entries(nodes)
      .map(([id, n]) => `${id}:${n.state[0]}`)
      .join(',')}}`;
  }
  return m.type;
}

const feed = (book: SequenceBook, inputs: SequenceInput[]) =>
  inputs.flatMap((input) => book.apply(input));
const gpu = (message: ComfyMessage): SequenceInput => ({
  kind: 'gpu',
  jobId: JOB,
  clientId: 'tab',
  message,
});
const image = (name: string) => ({ images: [{ filename: name, subfolder: '', type: 'output' }] });

describe('SequenceBook', () => {
  it('writes a serverless run from evidence alone: nodes as their files appear, every node finished before success', () => {
    const book = new SequenceBook('0.27.0');
    const out = feed(book, [
      { kind: 'submitted', job: record() },
      { kind: 'record', job: record({ state: 'running', startedAt: 2_000 }) },
      { kind: 'evidence', jobId: JOB, clientId: 'tab', fact: { kind: 'started', at: 2_000 } },
      {
        kind: 'evidence',
        jobId: JOB,
        clientId: 'tab',
        fact: { kind: 'node_running', nodeId: '2' },
      },
      {
        kind: 'evidence',
        jobId: JOB,
        clientId: 'tab',
        fact: { kind: 'output', nodeId: '2', output: image('a.png') },
      },
      {
        kind: 'evidence',
        jobId: JOB,
        clientId: 'tab',
        fact: { kind: 'output', nodeId: '5', output: image('b.png') },
      },
      {
        kind: 'record',
        job: record({
          state: 'done',
          startedAt: 2_000,
          finishedAt: 3_000,
          outputs: { '2': image('a.png'), '5': image('b.png') },
        }),
      },
    ]);
    expect(frames(out)).toEqual([
      'status(1)',
      'status(1)',
      'execution_start',
      'execution_cached',
      'PS{2:r}',
      'executing:2',
      'executed:2',
      'PS{2:f,5:r}',
      'executing:5',
      'executed:5',
      'PS{2:f,5:f}',
      'execution_success',
      'status(0)',
      'executing:null',
    ]);
    expect(
      out.every(
        (e) => e.kind === 'status' || (e.clientId === 'tab' && e.message.data.prompt_id === JOB),
      ),
    ).toBe(true);
  });

  it("holds the GPU's ending until the record has ended, and uses the GPU's own words", () => {
    const book = new SequenceBook();
    feed(book, [
      { kind: 'submitted', job: record() },
      gpu({ type: 'execution_start', data: { prompt_id: JOB, timestamp: 5 } }),
    ]);
    const ending = {
      type: 'execution_interrupted',
      data: { prompt_id: JOB, node_id: '7', node_type: 'KSampler', executed: ['1'], timestamp: 9 },
    };
    expect(frames(book.apply(gpu(ending)))).toEqual(['execution_cached']);
    const end = book.apply({
      kind: 'record',
      job: record({ state: 'cancelled', startedAt: 5, finishedAt: 10 }),
    });
    expect(frames(end)).toEqual(['execution_interrupted', 'status(0)', 'executing:null']);
    expect((end[0] as { message: ComfyMessage }).message).toEqual(ending);
    expect(book.apply(gpu({ type: 'executing', data: { node: null, prompt_id: JOB } }))).toEqual(
      [],
    );
  });

  it('writes the ending from the record when the GPU said none, or said another one than the record', () => {
    const book = new SequenceBook();
    feed(book, [
      { kind: 'submitted', job: record() },
      gpu({ type: 'execution_start', data: { prompt_id: JOB, timestamp: 5 } }),
    ]);
    book.apply(gpu({ type: 'execution_success', data: { prompt_id: JOB, timestamp: 9 } }));
    const error = {
      ...jobLevelError('OutputsMissing', 'the GPU finished but 1 output file(s) never appeared'),
      nodeId: '',
      nodeType: '',
    };
    const end = book.apply({
      kind: 'record',
      job: record({ state: 'failed', startedAt: 5, finishedAt: 12, error }),
    });
    expect(frames(end)).toEqual(['execution_error', 'status(0)', 'executing:null']);
    expect((end[0] as { message: ComfyMessage }).message.data).toMatchObject({
      node_id: '',
      exception_type: 'OutputsMissing',
      exception_message: error.message,
      timestamp: 12,
    });
  });

  it('a job that failed before reaching a GPU still starts and ends the way ComfyUI ends a prompt', () => {
    const book = new SequenceBook();
    const out = feed(book, [
      { kind: 'submitted', job: record() },
      {
        kind: 'record',
        job: record({
          state: 'failed',
          finishedAt: 4_000,
          error: jobLevelError('TimeoutError', 'no GPU answered within 600 s'),
        }),
      },
    ]);
    expect(frames(out)).toEqual([
      'status(1)',
      'status(1)',
      'execution_start',
      'execution_cached',
      'execution_error',
      'status(0)',
      'executing:null',
    ]);
  });

  it("announces a job once, first, even when the relay's record of it (finished at once) comes before the submit", () => {
    const book = new SequenceBook();
    const error = {
      ...jobLevelError('Exception', 'Saving image outside the output folder is not allowed.'),
      nodeId: '2',
      nodeType: 'SaveImage',
    };
    const out = feed(book, [
      {
        kind: 'record',
        job: record({ state: 'failed', startedAt: 2, finishedAt: 3, executedNodes: ['1'], error }),
      },
      {
        kind: 'submitted',
        job: record({ state: 'failed', startedAt: 2, finishedAt: 3, executedNodes: ['1'], error }),
      },
    ]);
    expect(frames(out)).toEqual([
      'status(1)',
      'status(1)',
      'execution_start',
      'execution_cached',
      'PS{1:r}',
      'executing:1',
      'PS{1:f}',
      'PS{1:f,2:r}',
      'executing:2',
      'execution_error',
      'status(0)',
      'executing:null',
    ]);
  });

  it('a pending job deleted: status only, twice when it was the last one waiting (ComfyUI wipes the queue)', () => {
    const book = new SequenceBook();
    feed(book, [
      { kind: 'submitted', job: record() },
      gpu({ type: 'execution_start', data: { prompt_id: JOB, timestamp: 5 } }),
      { kind: 'submitted', job: record({ id: OTHER, clientId: 'other' }) },
      {
        kind: 'submitted',
        job: record({ id: '33333333-3333-4333-8333-333333333333', clientId: 'other' }),
      },
    ]);
    expect(
      frames(
        book.apply({
          kind: 'record',
          job: record({ id: OTHER, clientId: 'other', state: 'cancelled' }),
        }),
      ),
    ).toEqual(['status(2)']);
    const last = book.apply({
      kind: 'record',
      job: record({
        id: '33333333-3333-4333-8333-333333333333',
        clientId: 'other',
        state: 'cancelled',
      }),
    });
    expect(frames(last)).toEqual(['status(1)', 'status(1)']);
  });

  it('replays after a restart do nothing twice: the state restored from a snapshot skips events it already applied', () => {
    const before = new SequenceBook();
    before.apply({ kind: 'submitted', job: record() });
    before.apply(gpu({ type: 'execution_start', data: { prompt_id: JOB, timestamp: 5 } }), '100-0');
    before.apply(
      gpu({ type: 'executing', data: { node: '2', display_node: '2', prompt_id: JOB } }),
      '101-0',
    );
    const after = new SequenceBook(undefined, JSON.parse(JSON.stringify(before.snapshot())));
    after.seed([record({ state: 'running' })]);
    expect(
      after.apply(
        gpu({ type: 'execution_start', data: { prompt_id: JOB, timestamp: 5 } }),
        '100-0',
      ),
    ).toEqual([]);
    expect(
      after.apply(
        gpu({ type: 'executing', data: { node: '2', display_node: '2', prompt_id: JOB } }),
        '101-0',
      ),
    ).toEqual([]);
    expect(
      frames(
        after.apply(
          gpu({
            type: 'executed',
            data: { node: '2', display_node: '2', output: image('a.png'), prompt_id: JOB },
          }),
          '102-0',
        ),
      ),
    ).toEqual(['executed:2']);
    expect(
      frames(
        after.apply(
          { kind: 'record', job: record({ state: 'done', startedAt: 5, finishedAt: 9 }) },
          '103-0',
        ),
      ),
    ).toEqual(['execution_success', 'status(0)', 'executing:null']);
  });

  it('a stale active list does not revive a job that already ended here', () => {
    const book = new SequenceBook();
    book.apply({ kind: 'submitted', job: record() });
    book.apply({ kind: 'record', job: record({ state: 'done', startedAt: 5, finishedAt: 9 }) });
    book.seed([record({ state: 'running' })]);
    expect(book.activeCount()).toBe(0);
    expect(book.job(JOB)?.state).toBe('done');
  });

  it('a job met first in the active list is not announced again by its submit', () => {
    const book = new SequenceBook();
    book.seed([record()]);
    expect(book.activeCount()).toBe(1);
    expect(frames(book.apply({ kind: 'submitted', job: record() }))).toEqual([]);
  });

  it('tells a reconnecting tab of the running client which node runs, as ComfyUI does (no prompt id)', () => {
    const book = new SequenceBook();
    feed(book, [
      { kind: 'submitted', job: record() },
      gpu({ type: 'executing', data: { node: '4', display_node: '4', prompt_id: JOB } }),
    ]);
    expect(book.reconnectFrames('tab')).toEqual([{ type: 'executing', data: { node: '4' } }]);
    expect(book.reconnectFrames('someone-else')).toEqual([]);
    book.apply({ kind: 'record', job: record({ state: 'done', finishedAt: 9 }) });
    expect(book.reconnectFrames('tab')).toEqual([]);
  });

  it('leaves progress_state out for a ComfyUI older than 0.3.45', () => {
    const book = new SequenceBook('0.3.40');
    const out = feed(book, [
      { kind: 'submitted', job: record() },
      gpu({ type: 'execution_start', data: { prompt_id: JOB, timestamp: 5 } }),
      gpu({ type: 'progress_state', data: { prompt_id: JOB, nodes: {} } }),
      {
        kind: 'evidence',
        jobId: JOB,
        clientId: 'tab',
        fact: { kind: 'node_running', nodeId: '3' },
      },
      { kind: 'record', job: record({ state: 'done', finishedAt: 9 }) },
    ]);
    expect(frames(out).filter((f) => f.startsWith('PS'))).toEqual([]);
    expect(frames(out)).toContain('executing:3');
  });

  it('forwards a message type it does not know, after starting the job (custom nodes, benchmarks)', () => {
    const book = new SequenceBook();
    const out = book.apply({
      kind: 'gpu',
      jobId: OTHER,
      clientId: 'x',
      message: { type: 'bench.ping', data: { seq: 1 } },
    });
    expect(frames(out)).toEqual(['status(0)', 'execution_start', 'execution_cached', 'bench.ping']);
    expect(book.activeCount()).toBe(0); // a job this user never queued is not counted
    expect(book.liveClient(OTHER)).toBe('x');
  });
});
