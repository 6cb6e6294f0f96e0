import { describe, expect, it } from 'vitest';
import {
  initialJobsState,
  jobList,
  jobsReducer,
  MAX_FINISHED,
  type JobsAction,
  type JobsState,
} from './jobs-state';
import { snapshot } from './test-jobs';

const run = (actions: JobsAction[], start: JobsState = initialJobsState()) =>
  actions.reduce(jobsReducer, start);

describe('jobsReducer', () => {
  it('takes relay snapshots as they come, with an absolute ETA', () => {
    const job = snapshot({ state: 'queued', position: 2, queueLength: 5, etaMs: 40_000 });
    const s = run([{ type: 'snapshot', job, at: 10_000 }]);
    expect(s.jobs[job.id]).toMatchObject({
      state: 'queued',
      position: 2,
      queueLength: 5,
      etaAt: 50_000,
      source: 'relay',
    });
  });

  it('walks queued → warming_up → running → fetching_outputs → done from snapshots', () => {
    const base = snapshot();
    const s = run([
      { type: 'snapshot', job: { ...base, state: 'queued', position: 1 }, at: 1 },
      { type: 'snapshot', job: { ...base, state: 'warming_up', coldStartSince: 500 }, at: 2 },
      {
        type: 'snapshot',
        job: {
          ...base,
          state: 'running',
          startedAt: 900,
          progress: { nodeId: '3', value: 4, max: 20 },
        },
        at: 3,
      },
      { type: 'snapshot', job: { ...base, state: 'fetching_outputs' }, at: 4 },
      {
        type: 'snapshot',
        job: {
          ...base,
          state: 'done',
          finishedAt: 1000,
          outputs: { '9': { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] } },
        },
        at: 5,
      },
    ]);
    const job = s.jobs[base.id]!;
    expect(job.state).toBe('done');
    expect(job.position).toBeUndefined();
    expect(job.coldStartSince).toBeUndefined();
    expect(job.progress).toBeUndefined();
    expect(job.outputs['9']?.images).toHaveLength(1);
  });

  it('queues a prompt the server accepted at once, and never lets that undo newer news', () => {
    const s = run([{ type: 'accepted', id: 'p1', number: 7, at: 100 }]);
    expect(s.jobs.p1).toMatchObject({ state: 'queued', number: 7, createdAt: 100 });
    const base = snapshot({ id: 'p2' });
    const later = run([
      { type: 'snapshot', job: { ...base, state: 'running', startedAt: 50 }, at: 60 },
      { type: 'accepted', id: 'p2', number: 1, at: 70 }, // the POST answer arrived after the job's first events
    ]);
    expect(later.jobs.p2).toMatchObject({ state: 'running', source: 'relay' });
  });

  it('does not let a snapshot older than the native events move a running job back', () => {
    const base = snapshot();
    const s = run([
      { type: 'snapshot', job: { ...base, state: 'queued', position: 1 }, at: 1 },
      {
        type: 'comfy',
        message: { type: 'execution_start', data: { prompt_id: base.id, timestamp: 5 } },
        at: 2,
      },
      { type: 'snapshot', job: { ...base, state: 'submitting' }, at: 3 }, // sent before the start, arrived after
    ]);
    expect(s.jobs[base.id]!.state).toBe('running');
    const later = run(
      [
        {
          type: 'snapshot',
          job: {
            ...base,
            state: 'running',
            startedAt: 5,
            progress: { nodeId: '3', value: 2, max: 9 },
          },
          at: 4,
        },
      ],
      s,
    );
    expect(later.jobs[base.id]).toMatchObject({
      state: 'running',
      source: 'relay',
      progress: { value: 2 },
    });
  });

  it('never revives a finished job from a late snapshot', () => {
    const base = snapshot();
    const s = run([
      { type: 'snapshot', job: { ...base, state: 'cancelled' }, at: 1 },
      { type: 'snapshot', job: { ...base, state: 'running' }, at: 2 },
    ]);
    expect(s.jobs[base.id]!.state).toBe('cancelled');
  });

  it('does not let a poll saying "pending" move a running job back', () => {
    const base = snapshot({ state: 'running', startedAt: 5 });
    const s = run([
      { type: 'snapshot', job: base, at: 10 },
      {
        type: 'poll',
        active: [{ id: base.id, status: 'pending', createTime: 1 }],
        finished: [],
        at: 20,
      },
    ]);
    expect(s.jobs[base.id]!.state).toBe('running');
  });

  it('keeps the richer warming_up when a poll says in_progress', () => {
    const base = snapshot({ state: 'warming_up', coldStartSince: 3 });
    const s = run([
      { type: 'snapshot', job: base, at: 10 },
      {
        type: 'poll',
        active: [{ id: base.id, status: 'in_progress', createTime: 1 }],
        finished: [],
        at: 20,
      },
    ]);
    expect(s.jobs[base.id]).toMatchObject({ state: 'warming_up', coldStartSince: 3 });
  });

  it('learns a finish from a poll when the socket missed it', () => {
    const base = snapshot({ state: 'running' });
    const s = run([
      { type: 'snapshot', job: base, at: 10 },
      {
        type: 'poll',
        active: [],
        finished: [
          {
            id: base.id,
            status: 'failed',
            createTime: 1,
            endTime: 99,
            error: { message: 'boom', nodeId: '4', nodeType: 'KSampler' },
          },
        ],
        at: 20,
      },
    ]);
    expect(s.jobs[base.id]).toMatchObject({
      state: 'failed',
      finishedAt: 99,
      error: { message: 'boom', nodeId: '4' },
    });
  });

  it('adds jobs it only sees in a poll (queued in another tab or before a reload)', () => {
    const s = run([
      {
        type: 'poll',
        active: [{ id: 'a', status: 'pending', createTime: 7, priority: 3 }],
        finished: [],
        at: 1,
      },
    ]);
    expect(s.jobs.a).toMatchObject({ state: 'queued', createdAt: 7, number: 3, source: 'poll' });
  });

  it('forgets an active job the server stopped listing (a deleted pending prompt leaves no record)', () => {
    const base = snapshot({ state: 'queued' });
    const s = run([
      { type: 'snapshot', job: base, at: 0 },
      { type: 'poll', active: [], finished: [], at: 2_000 },
    ]);
    expect(s.jobs[base.id]).toBeDefined(); // too fresh to judge
    const later = run([{ type: 'poll', active: [], finished: [], at: 60_000 }], s);
    expect(later.jobs[base.id]).toBeUndefined();
  });

  it('follows native ComfyUI events: start, progress, executed, error', () => {
    const id = 'p1';
    const s = run([
      {
        type: 'comfy',
        message: { type: 'execution_start', data: { prompt_id: id, timestamp: 100 } },
        at: 100,
      },
      {
        type: 'comfy',
        message: { type: 'progress', data: { prompt_id: id, node: '3', value: 2, max: 20 } },
        at: 110,
      },
      {
        type: 'comfy',
        message: {
          type: 'executed',
          data: {
            prompt_id: id,
            node: '9',
            display_node: '9',
            output: { images: [{ filename: 'x.png', subfolder: '', type: 'output' }] },
          },
        },
        at: 120,
      },
    ]);
    expect(s.jobs[id]).toMatchObject({
      state: 'running',
      startedAt: 100,
      progress: { nodeId: '3', value: 2, max: 20 },
    });
    expect(s.jobs[id]!.outputs['9']).toBeDefined();
    const failed = run(
      [
        {
          type: 'comfy',
          message: {
            type: 'execution_error',
            data: {
              prompt_id: id,
              node_id: '3',
              node_type: 'KSampler',
              exception_message: 'CUDA out of memory\nTips: …',
              exception_type: 'torch.OutOfMemoryError',
              timestamp: 200,
            },
          },
          at: 200,
        },
      ],
      s,
    );
    expect(failed.jobs[id]).toMatchObject({
      state: 'failed',
      finishedAt: 200,
      error: { message: 'CUDA out of memory', nodeId: '3', nodeType: 'KSampler' },
    });
  });

  it('prefers the relay error message over the native one', () => {
    const base = snapshot({
      state: 'failed',
      error: {
        message: 'GPU never answered',
        nodeId: '',
        nodeType: '',
        exceptionType: 'Timeout',
        exceptionMessage: '',
        traceback: [],
        currentInputs: {},
        currentOutputs: [],
      },
    });
    const s = run([
      { type: 'snapshot', job: base, at: 1 },
      {
        type: 'comfy',
        message: {
          type: 'execution_error',
          data: { prompt_id: base.id, node_id: '5', exception_message: 'other' },
        },
        at: 2,
      },
    ]);
    expect(s.jobs[base.id]!.error?.message).toBe('GPU never answered');
  });

  it('restores stored jobs without overwriting live ones', () => {
    const live = snapshot({ state: 'running' });
    const s = run([
      { type: 'snapshot', job: live, at: 1 },
      {
        type: 'restore',
        jobs: [
          {
            id: live.id,
            state: 'queued',
            createdAt: 0,
            outputs: {},
            updatedAt: 0,
            source: 'relay',
          },
          { id: 'old', state: 'done', createdAt: 0, outputs: {}, updatedAt: 0, source: 'relay' },
        ],
      },
    ]);
    expect(s.jobs[live.id]!.state).toBe('running');
    expect(s.jobs.old!.state).toBe('done');
  });

  it(`keeps at most ${MAX_FINISHED} finished jobs, newest first`, () => {
    const actions: JobsAction[] = Array.from({ length: MAX_FINISHED + 5 }, (_, i) => ({
      type: 'snapshot',
      job: snapshot({ state: 'done', createdAt: i }),
      at: i,
    }));
    actions.push({ type: 'snapshot', job: snapshot({ state: 'queued', createdAt: -1 }), at: 99 });
    const list = jobList(run(actions));
    expect(list).toHaveLength(MAX_FINISHED + 1);
    expect(list.some((j) => j.state === 'queued')).toBe(true);
    expect(list[0]!.createdAt).toBe(MAX_FINISHED + 4);
  });

  it('tracks relay and socket connectivity', () => {
    const s = run([
      { type: 'relay', connected: false, message: 'relay restarting' },
      { type: 'socket', open: true },
    ]);
    expect(s.relay).toEqual({ connected: false, message: 'relay restarting' });
    expect(s.socketOpen).toBe(true);
  });
});
