/**
 * The jobs API of a 0.8 ComfyUI (comfy_execution/jobs.py before `cancelled`): its status list and 400
 * text, interrupted runs as `failed`, previews of images/video/audio only, raw outputs in the detail.
 */
import { describe, expect, it } from 'vitest';
import type { ComfyHistoryEntry } from '../../../protocol/src/comfy/http';
import { readJson } from '../../../test/support/recorded-ws';
import { jobDetailFor, jobsFor, outputsSummary08, parseJobsQueryFor } from './jobs-flavor';

const interrupted = Object.values(
  readJson<{ response: { json: Record<string, ComfyHistoryEntry> } }>(
    'real-0.27.0/api/run4_interrupted/history.json',
  ).response.json,
)[0]!;
const withText = {
  prompt: [3, 'p3', {}, { create_time: 1 }, ['9']],
  outputs: {
    '9': { text: ['hello'] },
    '4': { images: [{ filename: 'a.png', subfolder: '', type: 'temp' }] },
  },
  status: { status_str: 'success', completed: true, messages: [] },
  meta: {},
} as unknown as ComfyHistoryEntry;
const sources = { running: [], pending: [], history: { interrupted: interrupted, p3: withText } };

describe('parseJobsQueryFor', () => {
  it('0.8 knows four statuses, 0.27 five', () => {
    expect(parseJobsQueryFor('0.8', 'status=completed,failed,cancelled')).toEqual({
      ok: false,
      body: {
        error:
          'Invalid status value(s): cancelled. Valid values: pending, in_progress, completed, failed',
      },
    });
    expect(parseJobsQueryFor('0.8', 'status=in_progress,pending&limit=200').ok).toBe(true);
    expect(parseJobsQueryFor('0.27', 'status=completed,failed,cancelled').ok).toBe(true);
    expect(parseJobsQueryFor('0.8', 'limit=-1')).toEqual({
      ok: false,
      body: { error: 'limit must be a positive integer' },
    });
  });
});

describe('jobsFor / jobDetailFor', () => {
  it('an interrupted run is cancelled on 0.27, failed on 0.8', () => {
    const status = (flavor: '0.8' | '0.27') =>
      jobsFor(flavor, sources).find((j) => j.id === 'interrupted')?.status;
    expect(status('0.27')).toBe('cancelled');
    expect(status('0.8')).toBe('failed');
  });

  it('0.8 neither counts nor previews text; 0.27 does', () => {
    expect(outputsSummary08(withText.outputs)).toMatchObject({
      count: 1,
      preview: { filename: 'a.png', nodeId: '4', mediaType: 'images' },
    });
    const recent = jobsFor('0.27', sources).find((j) => j.id === 'p3');
    const old = jobsFor('0.8', sources).find((j) => j.id === 'p3');
    expect(recent?.outputs_count).toBe(2);
    expect(old?.outputs_count).toBe(1);
    expect(old?.preview_output).toMatchObject({ filename: 'a.png' });
  });

  it('the detail: the same job, 0.8 statuses, outputs as stored; unknown ids null', () => {
    expect(jobDetailFor('0.8', 'interrupted', sources)).toMatchObject({
      status: 'failed',
      outputs: interrupted.outputs,
    });
    expect(jobDetailFor('0.8', 'nope', sources)).toBeNull();
  });
});
