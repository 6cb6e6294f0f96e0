/** @fileoverview Colour roles of states on the dashboard (their words: ui-kit/job-state-words.ts). */
import type { JobState } from '../../../protocol/src/relay/job';

export type Tone = 'ok' | 'busy' | 'warn' | 'bad' | 'muted';

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
