/**
 * @fileoverview One wording per job state, as an attendee reads it in the extension's job tracker;
 * the operator dashboard labels its job rows with the same words.
 */
import type { JobState } from '../protocol/src/relay/job';

export const jobStateWords: Readonly<Record<JobState, string>> = {
  queued: 'Queued',
  submitting: 'Starting',
  warming_up: 'GPU warming up',
  running: 'Running',
  fetching_outputs: 'Saving outputs',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
