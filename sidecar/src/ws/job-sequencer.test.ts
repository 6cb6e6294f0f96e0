import { describe, expect, it } from 'vitest';
import type { JobView } from '../../../protocol/src/relay/job';
import { jobSegment, recordedIncoming, signature, type RecordedMessage } from '../../test/recorded-ws';
import { JobSequencer, type Action } from './job-sequencer';

const JOB = '95007995-f9a4-4877-aafd-985ab327402f';
const CLIENT = '6b7c05d14f0e43a29381755cd7c925f3';

function jobView(patch: Partial<JobView> = {}): JobView {
  return {
    id: JOB,
    userId: 'user001',
    clientId: CLIENT,
    state: 'queued',
    lane: 'normal',
    number: 0,
    createdAt: 1_000,
    outputsToExecute: ['3', '4'],
    executedNodes: [],
    cachedNodes: [],
    outputs: {},
    statusMessages: [],
    ...patch,
  };
}

/** Runs actions the way the pipeline does: status frames computed from the book at that moment. */
function render(seq: JobSequencer, actions: Action[], timers: Action[] = []): RecordedMessage[] {
  const out: RecordedMessage[] = [];
  for (const action of actions) {
    if (action.kind === 'status') out.push({ type: 'status', data: { status: { exec_info: { queue_remaining: seq.activeCount() } } } });
    else if (action.kind === 'message') out.push(action.message);
    else if (action.kind === 'timer') timers.push(action);
  }
  return out;
}

function fire(seq: JobSequencer, timers: Action[]): RecordedMessage[] {
  const out: RecordedMessage[] = [];
  while (timers.length) {
    const timer = timers.shift();
    if (timer?.kind === 'timer') out.push(...render(seq, seq.onTimer(timer.jobId, timer.timer, timer.token), timers));
  }
  return out;
}

/** The GPU's messages for the job as the relay forwards them: no status, no executing{null}. */
function relayed(recording: RecordedMessage[]): RecordedMessage[] {
  return jobSegment(recording).filter((m) => m.type !== 'status' && !(m.type === 'executing' && m.data.node === null));
}

function runRecorded(file: string, finalState: JobView['state'], jobDoneFirst: boolean) {
  const recording = recordedIncoming(file);
  const expected = jobSegment(recording);
  const prompt = String(expected.find((m) => m.type === 'execution_start')?.data.prompt_id);
  const seq = new JobSequencer({ synthGraceMs: 1_000, terminalHoldMs: 3_000, now: () => 5_000 });
  const timers: Action[] = [];
  const out: RecordedMessage[] = [];
  out.push(...render(seq, seq.submitted(jobView({ id: prompt })), timers));
  out.push(...render(seq, seq.onJob(jobView({ id: prompt, state: 'running', startedAt: 2_000 })), timers));
  const messages = relayed(recording);
  const done = jobView({ id: prompt, state: finalState, startedAt: 2_000, finishedAt: 3_000 });
  for (const message of messages) {
    const terminal = /^execution_(success|error|interrupted)$/.test(message.type);
    if (terminal && jobDoneFirst) out.push(...render(seq, seq.onJob(done), timers));
    out.push(...render(seq, seq.onComfy(prompt, CLIENT, message as never), timers));
    if (terminal && !jobDoneFirst) out.push(...render(seq, seq.onJob(done), timers));
  }
  out.push(...fire(seq, timers));
  return { expected, out, seq };
}

describe('JobSequencer against the real ComfyUI 0.8.0 recordings', () => {
  const cases = [
    ['real-0.8.0/frontend/ws.jsonl', 'done'],
    ['real-0.27.0/frontend/ws.jsonl', 'done'],
    ['real-0.8.0/run3_execution_error/ws.jsonl', 'failed'],
    ['real-0.8.0/run4_interrupted/ws.jsonl', 'cancelled'],
  ] as const;
  for (const [file, state] of cases) {
    for (const jobDoneFirst of [false, true]) {
      it(`${file}: same types and order (relay job record ${jobDoneFirst ? 'before' : 'after'} the terminal message)`, () => {
        const { expected, out } = runRecorded(file, state, jobDoneFirst);
        // run4 has extra status frames from another client's prompts; compare without them.
        const strip = (list: RecordedMessage[]) => (file.includes('run4') ? list.filter((m) => m.type !== 'status') : list);
        expect(signature(strip(out))).toEqual(signature(strip(expected)));
        expect(out.at(-2)).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } } } });
      });
    }
  }

  it('counts the job in queue_remaining from submit until its end', () => {
    const { out } = runRecorded('real-0.8.0/frontend/ws.jsonl', 'done', false);
    const remaining = out.filter((m) => m.type === 'status').map((m) => (m.data.status as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining);
    expect(remaining).toEqual([1, 1, 0]);
  });
});

describe('JobSequencer rules', () => {
  const make = () => new JobSequencer({ synthGraceMs: 1_000, terminalHoldMs: 3_000, now: () => 9_000 });

  it('synthesises a native failure for a job that failed before any GPU message', () => {
    const seq = make();
    const timers: Action[] = [];
    render(seq, seq.submitted(jobView()), timers);
    const failed = jobView({
      state: 'failed',
      finishedAt: 8_000,
      error: {
        message: 'GPU unreachable',
        nodeId: '',
        nodeType: '',
        exceptionType: 'comfyume.BackendUnavailable',
        exceptionMessage: 'The GPU service did not answer after 5 attempts.',
        traceback: [],
        currentInputs: {},
        currentOutputs: [],
      },
    });
    const out = [...render(seq, seq.onJob(failed), timers), ...fire(seq, timers)];
    expect(signature(out)).toEqual(['status', 'execution_start', 'execution_cached', 'execution_error', 'status', 'executing:null']);
    const error = out.find((m) => m.type === 'execution_error')?.data;
    expect(error).toMatchObject({ node_id: '', exception_message: 'The GPU service did not answer after 5 attempts.', prompt_id: JOB });
    expect(seq.activeCount()).toBe(0);
  });

  it('a job cancelled while queued only changes the queue (status), like ComfyUI queue delete', () => {
    const seq = make();
    render(seq, seq.submitted(jobView()));
    const out = render(seq, seq.onJob(jobView({ state: 'cancelled', finishedAt: 8_000 })));
    expect(signature(out)).toEqual(['status']);
    expect(seq.activeCount()).toBe(0);
  });

  it('a serverless job (no ComfyUI messages) gets start on running and outputs + success at the end', () => {
    const seq = make();
    const timers: Action[] = [];
    const out: RecordedMessage[] = [];
    out.push(...render(seq, seq.submitted(jobView()), timers));
    out.push(...render(seq, seq.onJob(jobView({ state: 'warming_up', coldStartSince: 1 })), timers));
    out.push(...render(seq, seq.onJob(jobView({ state: 'running', startedAt: 2_000, etaMs: 5 })), timers));
    out.push(...render(seq, seq.onJob(jobView({ state: 'running', startedAt: 2_000, etaMs: 4 })), timers));
    expect(timers.filter((t) => t.kind === 'timer' && t.timer === 'start')).toHaveLength(1); // ETA updates do not postpone it
    out.push(...fire(seq, timers));
    const outputs = { '4': { images: [{ filename: 'a_00001_.png', subfolder: '', type: 'output' }] } };
    out.push(...render(seq, seq.onJob(jobView({ state: 'done', startedAt: 2_000, finishedAt: 3_000, outputs })), timers));
    out.push(...fire(seq, timers));
    expect(signature(out)).toEqual([
      'status', 'status', 'execution_start', 'execution_cached', 'executed:4', 'execution_success', 'status', 'executing:null',
    ]);
  });

  it('drops duplicates and the relay’s own end marker, and nothing after the end', () => {
    const seq = make();
    const start = { type: 'execution_start', data: { prompt_id: JOB, timestamp: 1 } };
    render(seq, seq.submitted(jobView()));
    expect(signature(render(seq, seq.onComfy(JOB, CLIENT, start)))).toEqual(['status', 'execution_start']);
    expect(render(seq, seq.onComfy(JOB, CLIENT, start))).toEqual([]);
    expect(render(seq, seq.onComfy(JOB, CLIENT, { type: 'executing', data: { node: null, prompt_id: JOB } }))).toEqual([]);
    render(seq, seq.onJob(jobView({ state: 'done', finishedAt: 2 })));
    const end = render(seq, seq.onComfy(JOB, CLIENT, { type: 'execution_success', data: { prompt_id: JOB, timestamp: 2 } }));
    expect(signature(end)).toEqual(['execution_success', 'status', 'executing:null']);
    expect(render(seq, seq.onComfy(JOB, CLIENT, { type: 'progress', data: { value: 1, max: 1, prompt_id: JOB, node: '1' } }))).toEqual([]);
    expect(seq.onPreview(JOB, new Uint8Array(8))).toEqual([]);
  });

  it('a message before execution_start gets a synthesised start first', () => {
    const seq = make();
    render(seq, seq.submitted(jobView({ state: 'running' })));
    const ps = { type: 'progress_state', data: { prompt_id: JOB, nodes: {} } };
    expect(signature(render(seq, seq.onComfy(JOB, CLIENT, ps)))).toEqual(['status', 'execution_start', 'execution_cached', 'progress_state']);
  });

  it('gives a reconnecting tab the running node and the progress_state snapshot', () => {
    const seq = make();
    render(seq, seq.submitted(jobView()));
    render(seq, seq.onComfy(JOB, CLIENT, { type: 'execution_start', data: { prompt_id: JOB, timestamp: 1 } }));
    const nodes = { '2': { value: 3, max: 10, state: 'running', node_id: '2', prompt_id: JOB, display_node_id: '2', parent_node_id: null, real_node_id: '2' } };
    render(seq, seq.onComfy(JOB, CLIENT, { type: 'progress_state', data: { prompt_id: JOB, nodes } }));
    render(seq, seq.onComfy(JOB, CLIENT, { type: 'executing', data: { node: '2', display_node: '2', prompt_id: JOB } }));
    const snap = render(seq, seq.snapshotFor(CLIENT));
    expect(snap).toEqual([
      { type: 'executing', data: { node: '2', display_node: '2', prompt_id: JOB } },
      { type: 'progress_state', data: { prompt_id: JOB, nodes } },
    ]);
    expect(seq.snapshotFor('another-tab')).toEqual([]);
  });

  it('holds a terminal message until the relay record is terminal, or until the hold timer', () => {
    const seq = make();
    const timers: Action[] = [];
    render(seq, seq.submitted(jobView()), timers);
    render(seq, seq.onComfy(JOB, CLIENT, { type: 'execution_start', data: { prompt_id: JOB, timestamp: 1 } }), timers);
    const held = render(seq, seq.onComfy(JOB, CLIENT, { type: 'execution_success', data: { prompt_id: JOB, timestamp: 2 } }), timers);
    expect(held).toEqual([]);
    expect(signature(fire(seq, timers))).toEqual(['execution_success', 'status', 'executing:null']);
  });
});
