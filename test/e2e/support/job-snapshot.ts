/** @fileoverview `comfyume.job` payloads (JobView without prompt/extraData) for scripted tests. */
import type { JobEvent } from '../../../protocol/src/relay/events';

export type JobSnapshot = JobEvent['job'];

export function jobSnapshot(id: string, over: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    id,
    userId: 'user001',
    clientId: '',
    state: 'queued',
    lane: 'normal',
    number: 1,
    createdAt: Date.now(),
    outputsToExecute: ['4'],
    executedNodes: [],
    cachedNodes: [],
    outputs: {},
    statusMessages: [],
    ...over,
  };
}

export const jobMessage = (job: JobSnapshot) => ({ type: 'comfyume.job', data: job });
