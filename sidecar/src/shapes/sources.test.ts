import { describe, expect, it } from 'vitest';
import {
  ComfyFeHistoryResponse,
  ComfyFeQueueResponse,
  ComfyJobsListResponse,
} from '../../../protocol/src/comfy/http-jobs';
import {
  historyMax,
  jobsFromSources,
  listJobs,
  parseJobsQuery,
  publicQueue,
} from '../../../protocol/src/comfy/jobs';
import type { JobView } from '../../../protocol/src/relay/job';
import { readJson } from '../../../test/support/recorded-ws';
import { buildUserView } from './sources';

const prompt = readJson<{
  request: { body: { prompt: Record<string, unknown>; extra_data: Record<string, unknown> } };
}>('real-0.8.0/frontend/post_prompt_1.json').request.body;

let seq = 0;
function job(state: JobView['state'], patch: Partial<JobView> = {}): JobView {
  seq += 1;
  const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  const started =
    state !== 'queued' &&
    !(state === 'cancelled' && patch.startedAt === undefined && !patch.statusMessages);
  return {
    id,
    userId: 'user001',
    clientId: 'tab1',
    state,
    lane: 'normal',
    number: seq,
    createdAt: 1_000 + seq,
    ...(started ? { startedAt: 2_000 + seq } : {}),
    ...(state === 'done' || state === 'failed' || state === 'cancelled'
      ? { finishedAt: 3_000 + seq }
      : {}),
    ...(state === 'queued' ? { position: 10 - seq } : {}),
    outputsToExecute: ['3', '4'],
    executedNodes: [],
    cachedNodes: [],
    outputs:
      state === 'done'
        ? {
            '4': { images: [{ filename: `out_${seq}_00001_.png`, subfolder: '', type: 'output' }] },
          }
        : {},
    statusMessages: [],
    ...(state === 'failed'
      ? {
          error: {
            message: 'GPU lost',
            nodeId: '',
            nodeType: '',
            exceptionType: 'RuntimeError',
            exceptionMessage: 'GPU lost',
            traceback: [],
            currentInputs: {},
            currentOutputs: [],
          },
        }
      : {}),
    prompt: prompt.prompt,
    extraData: prompt.extra_data,
    ...patch,
  };
}

const frontendCalls = [
  'status=in_progress,pending&limit=200&offset=0',
  'status=completed,failed,cancelled&limit=64&offset=0',
  'status=completed,failed,cancelled&limit=200&offset=0',
];

describe('buildUserView: relay jobs in every state, merged with the local ComfyUI', () => {
  const relayJobs = [
    job('done'),
    job('failed'),
    job('cancelled', { startedAt: 2_500, progress: { nodeId: '2', value: 1, max: 3 } }),
    job('cancelled'),
    job('running'),
    job('warming_up'),
    job('queued'),
    job('queued'),
  ];
  const localHistory = readJson<{ response: { json: Record<string, unknown> } }>(
    'real-0.27.0/api/run1_empty_save/history.json',
  ).response.json;
  const view = buildUserView({
    relayJobs,
    isHidden: () => false,
    lookup: () => undefined,
    localHistory,
  });

  it('splits running/pending/history as ComfyUI would hold them', () => {
    expect(view.rejected).toEqual([]);
    expect(view.running.map((i) => i[1])).toEqual([relayJobs[4]?.id, relayJobs[5]?.id]);
    // pending in dispatch order (relay position), not submit order
    expect(view.pending.map((i) => i[1])).toEqual([relayJobs[7]?.id, relayJobs[6]?.id]);
    // the cancelled-while-queued job vanished; the local entry (finished in 2026) is merged in completion order
    expect(Object.keys(view.history)).toEqual([
      relayJobs[0]?.id,
      relayJobs[1]?.id,
      relayJobs[2]?.id,
      ...Object.keys(localHistory),
    ]);
  });

  it('serves shapes both frontend generations accept', () => {
    expect(ComfyFeQueueResponse.safeParse(publicQueue(view.running, view.pending)).success).toBe(
      true,
    );
    expect(ComfyFeHistoryResponse.safeParse(historyMax(view.history, 64, -1)).success).toBe(true);
    for (const call of frontendCalls) {
      const parsed = parseJobsQuery(call);
      if (!parsed.ok) throw new Error(parsed.body.error);
      const list = listJobs(jobsFromSources(view), parsed.query);
      const result = ComfyJobsListResponse.safeParse(list);
      expect(result.success, call).toBe(true);
    }
    const all = listJobs(jobsFromSources(view), {});
    expect(all.jobs.map((j) => j.status).sort()).toEqual(
      [
        'cancelled',
        'completed',
        'completed',
        'failed',
        'in_progress',
        'in_progress',
        'pending',
        'pending',
      ].sort(),
    );
    const failed = all.jobs.find((j) => j.status === 'failed');
    expect(failed?.execution_error).toMatchObject({ node_id: '', exception_message: 'GPU lost' });
  });

  it('drops one bad record instead of emptying the panel, and reports it', () => {
    const bad = job('done', {
      outputs: { '4': { images: [{ filename: 'x.png', subfolder: '', type: 'elsewhere' }] } },
    });
    const broken = buildUserView({
      relayJobs: [...relayJobs, bad],
      isHidden: () => false,
      lookup: () => undefined,
    });
    expect(broken.rejected.map((r) => r.id)).toEqual([bad.id]);
    expect(Object.keys(broken.history)).not.toContain(bad.id);
    expect(Object.keys(broken.history)).toHaveLength(3);
  });

  it('leaves out hidden history entries but keeps them in the queue while active', () => {
    const hidden = new Set([relayJobs[0]?.id, relayJobs[4]?.id]);
    const v = buildUserView({
      relayJobs,
      isHidden: (id) => hidden.has(id),
      lookup: () => undefined,
    });
    expect(Object.keys(v.history)).not.toContain(relayJobs[0]?.id);
    expect(v.running.map((i) => i[1])).toContain(relayJobs[4]?.id);
  });
});
