import { describe, expect, it } from 'vitest';
import { ComfyHistoryEntry, ComfyQueueItem } from '../../../protocol/src/comfy/http';
import {
  ComfyFeHistoryItem,
  ComfyFeTaskPrompt,
  ComfyJob,
  ComfyJobDetail,
} from '../../../protocol/src/comfy/http-jobs';
import {
  jobDetailFromHistory,
  jobFromHistory,
  jobFromQueueItem,
} from '../../../protocol/src/comfy/jobs';
import type { JobView } from '../../../protocol/src/relay/job';
import { readJson } from '../../../test/support/recorded-ws';
import { historyEntryFromJob, queueTupleFromJob, type HistoryEntry } from './history';

type Exchange<T> = { response: { json: T } };
const noRename = () => undefined;

/** A relay JobView holding what ComfyUI's history holds for the recorded run. */
function jobFromRecorded(id: string, entry: HistoryEntry, keepMessages = true): JobView {
  const [number, , prompt, extra, outputsToExecute] = entry.prompt;
  const { client_id, create_time, ...extraData } = extra as {
    client_id: string;
    create_time: number;
  };
  const messages = entry.status.messages;
  const ts = (type: string) =>
    messages.find(([t]) => t === type)?.[1].timestamp as number | undefined;
  const end = messages.at(-1)?.[1] ?? {};
  const interrupted = messages.some(([t]) => t === 'execution_interrupted');
  const error = messages.find(([t]) => t === 'execution_error')?.[1] as
    Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  return {
    id,
    userId: 'user001',
    clientId: client_id,
    state: entry.status.status_str === 'success' ? 'done' : interrupted ? 'cancelled' : 'failed',
    lane: 'normal',
    number,
    createdAt: create_time,
    startedAt: ts('execution_start'),
    finishedAt: end.timestamp as number,
    outputsToExecute,
    executedNodes: (error?.executed ?? end.executed ?? []) as string[],
    cachedNodes: (messages.find(([t]) => t === 'execution_cached')?.[1].nodes ?? []) as string[],
    outputs: entry.outputs,
    statusMessages: keepMessages ? messages : [],
    progress: interrupted
      ? { nodeId: String(end.node_id), nodeType: String(end.node_type), value: 0, max: 1 }
      : undefined,
    error: error && {
      message: error.exception_message,
      nodeId: error.node_id,
      nodeType: error.node_type,
      exceptionType: error.exception_type,
      exceptionMessage: error.exception_message,
      traceback: error.traceback,
      currentInputs: error.current_inputs,
      currentOutputs: error.current_outputs,
    },
    prompt,
    extraData,
  };
}

const runs = [
  'run1_empty_save',
  'run2_invert_preview_save',
  'run3_execution_error',
  'run4_interrupted',
];

describe('history entry from a relay JobView, against real ComfyUI 0.27 history', () => {
  for (const run of runs) {
    const history = readJson<Exchange<Record<string, HistoryEntry>>>(
      `real-0.27.0/api/${run}/history.json`,
    ).response.json;
    const [id, recorded] = Object.entries(history)[0] as [string, HistoryEntry];
    const detail = readJson<Exchange<unknown>>(`real-0.27.0/api/${run}/job_detail.json`).response
      .json;

    it(`${run}: the same history entry, job and job detail as ComfyUI`, () => {
      const entry = historyEntryFromJob(jobFromRecorded(id, recorded), noRename);
      expect(entry).toEqual(recorded);
      expect(ComfyHistoryEntry.safeParse(entry).success).toBe(true);
      expect(ComfyFeHistoryItem.safeParse(entry).success).toBe(true);
      expect(ComfyJob.safeParse(jobFromHistory(id, entry as never)).success).toBe(true);
      expect(jobDetailFromHistory(id, entry as never)).toEqual(detail);
      expect(ComfyJobDetail.safeParse(detail).success).toBe(true);
    });

    it(`${run}: a relay record without status messages still yields ComfyUI's job`, () => {
      const entry = historyEntryFromJob(jobFromRecorded(id, recorded, false), noRename);
      expect(ComfyFeHistoryItem.safeParse(entry).success).toBe(true);
      const job = jobFromHistory(id, entry as never);
      const expected = jobFromHistory(id, recorded as never);
      expect(job).toEqual(expected);
    });
  }

  it('a job cancelled before it started has no history entry (ComfyUI: a deleted pending prompt vanishes)', () => {
    const history = readJson<Exchange<Record<string, HistoryEntry>>>(
      'real-0.27.0/api/run1_empty_save/history.json',
    ).response.json;
    const [id, recorded] = Object.entries(history)[0] as [string, HistoryEntry];
    const job = {
      ...jobFromRecorded(id, recorded, false),
      state: 'cancelled' as const,
      startedAt: undefined,
    };
    expect(historyEntryFromJob(job, noRename)).toBeUndefined();
    expect(historyEntryFromJob({ ...job, state: 'running' }, noRename)).toBeUndefined();
  });

  it('uses the local names of renamed output files', () => {
    const history = readJson<Exchange<Record<string, HistoryEntry>>>(
      'real-0.27.0/api/run2_invert_preview_save/history.json',
    ).response.json;
    const [id, recorded] = Object.entries(history)[0] as [string, HistoryEntry];
    const entry = historyEntryFromJob(jobFromRecorded(id, recorded), (jobId, ref) =>
      jobId === id && ref.type === 'output' ? ref.filename.replace('00001', '00002') : undefined,
    );
    expect(entry?.outputs['4']?.images).toEqual([
      { filename: 'realcomfy2_run2_00002_.png', subfolder: '', type: 'output' },
    ]);
    expect(entry?.outputs['3']).toEqual(recorded.outputs['3']);
    expect(jobFromHistory(id, entry as never).preview_output).toMatchObject({
      filename: 'realcomfy2_run2_00002_.png',
    });
  });
});

describe('queue tuple from a relay JobView, against real ComfyUI 0.27 /queue', () => {
  const queue = readJson<Exchange<{ queue_running: unknown[][]; queue_pending: unknown[][] }>>(
    'real-0.27.0/api/run4_interrupted/while_running_with_pending_queue.json',
  ).response.json;
  const jobsQueue = readJson<Exchange<{ jobs: { id: string }[] }>>(
    'real-0.27.0/api/run4_interrupted/while_running_with_pending_jobs_queue.json',
  ).response.json;

  const items = [
    ...queue.queue_running.map((item) => ({ item, status: 'in_progress' as const })),
    ...queue.queue_pending.map((item) => ({ item, status: 'pending' as const })),
  ];
  for (const { item, status } of items) {
    it(`${status} ${String(item[1]).slice(0, 8)}: same tuple and job as ComfyUI`, () => {
      const [number, id, prompt, extra, outputs] = item as [
        number,
        string,
        Record<string, unknown>,
        Record<string, unknown>,
        string[],
      ];
      const { client_id, create_time, ...extraData } = extra as {
        client_id: string;
        create_time: number;
      };
      const job: JobView = {
        id,
        userId: 'user001',
        clientId: client_id,
        state: status === 'pending' ? 'queued' : 'running',
        lane: 'normal',
        number,
        createdAt: create_time,
        outputsToExecute: outputs,
        executedNodes: [],
        cachedNodes: [],
        outputs: {},
        statusMessages: [],
        prompt,
        extraData,
      };
      const tuple = queueTupleFromJob(job);
      expect(tuple).toEqual(item);
      expect(ComfyQueueItem.safeParse(tuple).success).toBe(true);
      expect(ComfyFeTaskPrompt.safeParse(tuple).success).toBe(true);
      expect(jobFromQueueItem(tuple, status)).toEqual(jobsQueue.jobs.find((j) => j.id === id));
    });
  }
});
