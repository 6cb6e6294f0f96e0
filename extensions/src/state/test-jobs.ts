/** @fileoverview Builders for job snapshots in tests (valid JobView shapes, overridable). */
import type { JobSnapshot } from './jobs-state';

let n = 0;
export function snapshot(over: Partial<JobSnapshot> = {}): JobSnapshot {
  n += 1;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    userId: 'user001',
    clientId: 'tab',
    state: 'queued',
    lane: 'normal',
    number: n,
    createdAt: 1_000_000,
    outputsToExecute: ['9'],
    executedNodes: [],
    cachedNodes: [],
    outputs: {},
    statusMessages: [],
    ...over,
  };
}
