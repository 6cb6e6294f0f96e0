/** @fileoverview Colour roles of states on the dashboard and the wording of job states. */
import type { JobState } from '../../../../../protocol/src/relay/job';

export type Tone = 'ok' | 'busy' | 'warn' | 'bad' | 'muted';

export const stateLabels: Record<JobState, string> = {
  queued: 'Queued',
  submitting: 'Submitting',
  warming_up: 'Warming up',
  running: 'Running',
  fetching_outputs: 'Saving outputs',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const stateTones: Record<JobState, Tone> = {
  queued: 'muted',
  submitting: 'busy',
  warming_up: 'warn',
  running: 'busy',
  fetching_outputs: 'busy',
  done: 'ok',
  failed: 'bad',
  cancelled: 'muted',
};
