/** Adapters read the recorded server answers of both generations (shared/fixtures). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fromHistory,
  fromJobsApiItem,
  fromJobsApiList,
  fromQueue,
  promptFromDetail,
} from './poll-adapters';

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures/comfyui');
const recorded = (file: string): unknown =>
  (JSON.parse(readFileSync(path.join(fixtures, file), 'utf8')) as { response: { json: unknown } })
    .response.json;

describe('poll adapters (recorded ComfyUI 0.27 answers)', () => {
  it('reads the queue panel call while one job runs and two wait', () => {
    const jobs = fromJobsApiList(
      recorded('real-0.27.0/api/run4_interrupted/while_running_with_pending_jobs_queue.json'),
    );
    expect(jobs.map((j) => j.status).sort()).toEqual(['in_progress', 'pending', 'pending']);
    expect(jobs.every((j) => j.createTime > 0)).toBe(true);
  });

  it('reads the history list with failed and cancelled jobs and their errors', () => {
    const jobs = fromJobsApiList(recorded('real-0.27.0/api/jobs/after_history.json'));
    const failed = jobs.find((j) => j.status === 'failed');
    expect(failed?.error).toMatchObject({ nodeId: '2', nodeType: 'SaveImage' });
    expect(failed?.error?.message).toContain('Saving image outside the output folder');
    expect(failed?.error?.message).not.toContain('\n');
    expect(jobs.some((j) => j.status === 'cancelled')).toBe(true);
    const done = jobs.find((j) => j.status === 'completed' && j.outputs);
    expect(Object.values(done!.outputs!)[0]!.images).toHaveLength(1);
  });

  it('reads a job detail with all outputs and its prompt for re-running', () => {
    const body = recorded('real-0.27.0/api/run2_invert_preview_save/job_detail.json') as {
      id: string;
    };
    const job = fromJobsApiItem(body);
    expect(job?.status).toBe('completed');
    expect(Object.keys(job!.outputs!).length).toBeGreaterThanOrEqual(2);
    const again = promptFromDetail(body, body.id);
    expect(
      Object.values(again!.prompt).some(
        (n) => (n as { class_type?: string }).class_type === 'SaveImage',
      ),
    ).toBe(true);
    expect(again!.extraData).toHaveProperty('create_time'); // the API client sent no workflow
  });

  it('skips a malformed record instead of dropping the whole list', () => {
    const jobs = fromJobsApiList({
      jobs: [
        { id: 'x', status: 'completed' },
        { id: 'y', status: 'pending', create_time: 5 },
      ],
    });
    expect(jobs.map((j) => j.id)).toEqual(['y']);
  });

  it('reads /queue tuples (running and pending) for old servers', () => {
    const jobs = fromQueue(
      recorded('real-0.27.0/api/run4_interrupted/while_running_with_pending_queue.json'),
    );
    expect(jobs.filter((j) => j.status === 'in_progress')).toHaveLength(1);
    expect(jobs.filter((j) => j.status === 'pending')).toHaveLength(2);
  });

  it('maps /history entries like the jobs API: interrupted → cancelled, error → failed', () => {
    const cancelled = fromHistory(recorded('real-0.27.0/api/run4_interrupted/history.json'));
    expect(cancelled[0]?.status).toBe('cancelled');
    const failed = fromHistory(recorded('real-0.8.0/run3_execution_error/history.json'));
    expect(failed[0]?.status).toBe('failed');
    expect(failed[0]?.error?.nodeId).not.toBe('');
    const history = recorded('real-0.27.0/api/run4_interrupted/history.json') as Record<
      string,
      unknown
    >;
    const id = Object.keys(history)[0]!;
    expect(promptFromDetail(history, id)?.prompt).toHaveProperty('1');
  });
});
