/** @fileoverview One word per job state, the same in the extension's tracker and the dashboard. */
import { describe, expect, it } from 'vitest';
import { JobState } from '../protocol/src/relay/job';
import { jobStateWords } from './job-state-words';

describe('jobStateWords', () => {
  it('words every job state the relay knows, each differently', () => {
    expect(Object.keys(jobStateWords).sort()).toEqual([...JobState.options].sort());
    expect(new Set(Object.values(jobStateWords)).size).toBe(JobState.options.length);
  });
  it('says what an attendee reads in the tracker', () => {
    expect(jobStateWords).toEqual({
      queued: 'Queued',
      submitting: 'Starting',
      warming_up: 'GPU warming up',
      running: 'Running',
      fetching_outputs: 'Saving outputs',
      done: 'Done',
      failed: 'Failed',
      cancelled: 'Cancelled',
    });
  });
});
