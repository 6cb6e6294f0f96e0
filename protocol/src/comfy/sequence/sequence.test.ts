/**
 * The sequence as a pure function, against every real ComfyUI recording of both generations: the
 * facts a platform would have about the recorded job go in, the recorded messages must come out.
 * Two ways the facts arrive: the GPU's own stream (direct mode, the GPU agent), and the job record
 * alone (a cached rerun answered without the GPU, a failure established by the relay).
 */
import { describe, expect, it } from 'vitest';
import {
  allRecordings,
  type Recording,
  type WsMessage,
} from '../../../../test/support/replay-recordings';
import type { JobRecord, SequenceInput } from './facts';
import { SequenceBook } from './sequence-book';
import { jobErrorFromExecutionError } from './terminal';

const recordings = allRecordings();

/** The recorded job: from ComfyUI's enqueue `status` to `executing {node: null}` (handshake left out). */
function segment(recording: Recording): WsMessage[] {
  const list = recording.received;
  const from = list.findIndex((m, i) => i > 0 && m.type === 'status' && !('sid' in m.data));
  const to = list.findIndex((m) => m.type === 'executing' && m.data.node === null);
  return list.slice(from, to + 1);
}

const sid = (recording: Recording) =>
  String(recording.received.find((m) => m.type === 'status' && m.data.sid)?.data.sid);
const remaining = (m: WsMessage) =>
  (m.data.status as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining;
const isEnding = (m: WsMessage) => /^execution_(success|error|interrupted)$/.test(m.type);
const stateOf = (ending: WsMessage): JobRecord['state'] =>
  ending.type === 'execution_success'
    ? 'done'
    : ending.type === 'execution_error'
      ? 'failed'
      : 'cancelled';

function baseRecord(recording: Recording): JobRecord {
  return {
    id: recording.prompt.promptId,
    userId: 'user001',
    clientId: sid(recording),
    state: 'queued',
    lane: 'normal',
    number: 0,
    createdAt: 1_000,
    outputsToExecute: [],
    executedNodes: [],
    cachedNodes: [],
    outputs: {},
    statusMessages: [],
  };
}

/** The finished record a relay keeps for the recorded job. */
function finishedRecord(recording: Recording): JobRecord {
  const messages = segment(recording);
  const ending = messages.find(isEnding) as WsMessage;
  const ran = messages
    .filter((m) => m.type === 'executing' && typeof m.data.node === 'string')
    .map((m) => String(m.data.node));
  const stoppedAt = ending.type === 'execution_success' ? undefined : String(ending.data.node_id);
  const outputs: JobRecord['outputs'] = {};
  for (const m of messages)
    if (m.type === 'executed')
      outputs[String(m.data.node)] = m.data.output as JobRecord['outputs'][string];
  const start = messages.find((m) => m.type === 'execution_start') as WsMessage;
  const cached =
    (messages.find((m) => m.type === 'execution_cached')?.data.nodes as string[] | undefined) ?? [];
  return {
    ...baseRecord(recording),
    state: stateOf(ending),
    startedAt: Number(start.data.timestamp),
    finishedAt: Number(ending.data.timestamp),
    outputsToExecute: messages.filter((m) => m.type === 'executed').map((m) => String(m.data.node)),
    executedNodes: ran.filter((id) => id !== stoppedAt),
    cachedNodes: cached,
    outputs,
    error: ending.type === 'execution_error' ? jobErrorFromExecutionError(ending.data) : undefined,
    progress:
      ending.type === 'execution_interrupted'
        ? {
            nodeId: String(ending.data.node_id),
            nodeType: String(ending.data.node_type),
            value: 0,
            max: 1,
          }
        : undefined,
  };
}

/**
 * The GPU's stream, as the relay forwards it (its ending before the finished record), with the
 * queue changes of other clients (run4) as the sidecar sees them: another job submitted (+1) or
 * deleted while pending (−1; ComfyUI's repeated status after the last one is not a change).
 */
function gpuFacts(recording: Recording): SequenceInput[] {
  const record = baseRecord(recording);
  const messages = segment(recording);
  const inputs: SequenceInput[] = [
    { kind: 'submitted', job: record },
    { kind: 'record', job: { ...record, state: 'running' } },
  ];
  let queue = 1;
  const pending: JobRecord[] = [];
  for (const [i, m] of messages.entries()) {
    if (m.type === 'status') {
      if (i <= 1 || i === messages.length - 2) continue; // enqueue, dequeue and the end: the sequence's own
      if (remaining(m) > queue) {
        const other = {
          ...baseRecord(recording),
          id: `00000000-0000-4000-8000-${String(pending.length).padStart(12, '0')}`,
          clientId: 'another-client',
        };
        pending.push(other);
        inputs.push({ kind: 'submitted', job: other });
      } else if (remaining(m) < queue) {
        inputs.push({
          kind: 'record',
          job: { ...(pending.shift() as JobRecord), state: 'cancelled' },
        });
      }
      queue = remaining(m);
      continue;
    }
    inputs.push({ kind: 'gpu', jobId: record.id, clientId: record.clientId, message: m });
    if (isEnding(m)) inputs.push({ kind: 'record', job: finishedRecord(recording) });
  }
  return inputs;
}

/** No GPU message at all: the job is submitted, starts, and its record ends. */
function recordFacts(recording: Recording): SequenceInput[] {
  const record = baseRecord(recording);
  return [
    { kind: 'submitted', job: record },
    {
      kind: 'record',
      job: { ...record, state: 'running', startedAt: finishedRecord(recording).startedAt },
    },
    { kind: 'record', job: finishedRecord(recording) },
  ];
}

function run(inputs: SequenceInput[], version?: string): WsMessage[] {
  const book = new SequenceBook(version);
  return inputs.flatMap((input) =>
    book.apply(input).map((e) =>
      e.kind === 'status'
        ? {
            type: 'status',
            data: { status: { exec_info: { queue_remaining: e.remoteRemaining } } },
          }
        : e.message,
    ),
  );
}

/** Times, and the Python-set order of `executed` lists, differ honestly between a record and a live run. */
const normal = (list: WsMessage[]) =>
  JSON.parse(
    JSON.stringify(list, (key, value: unknown) =>
      key === 'timestamp'
        ? 0
        : key === 'executed' && Array.isArray(value)
          ? [...value].sort()
          : value,
    ),
  ) as WsMessage[];

describe('the sequence from the GPU stream reproduces every recording exactly', () => {
  for (const recording of recordings) {
    it(recording.name, () => {
      expect(run(gpuFacts(recording), recording.generation)).toEqual(segment(recording));
    });
  }
});

describe('the sequence from the job record alone (no GPU message) reproduces every recording', () => {
  for (const recording of recordings.filter((r) => r.script.kind !== 'interrupt')) {
    it(recording.name, () => {
      expect(normal(run(recordFacts(recording), recording.generation))).toEqual(
        normal(segment(recording)),
      );
    });
  }

  it('an identical rerun answered from cache (done, every node cached, outputs, no GPU message) is run2b exactly', () => {
    for (const name of ['real-0.8.0/run2b_cached_rerun', 'real-0.27.0/api/run2b_cached_rerun']) {
      const recording = recordings.find((r) => r.name === name) as Recording;
      const ours = run(recordFacts(recording), recording.generation);
      expect(ours.map((m) => m.type)).toEqual(segment(recording).map((m) => m.type));
      expect(ours.find((m) => m.type === 'execution_cached')?.data.nodes).toEqual([
        '1',
        '2',
        '3',
        '4',
      ]);
      expect(normal(ours)).toEqual(normal(segment(recording)));
    }
  });
});
