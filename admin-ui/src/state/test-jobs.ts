/** @fileoverview Builders for the dashboard's state tests: valid job snapshots with defaults. */
import { JobEvent } from '../../../protocol/src/relay/events';

let n = 0;

/** A schema-checked job snapshot; ids are unique canonical UUIDs. */
export function job(over: Partial<JobEvent['job']> = {}): JobEvent['job'] {
  n++;
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return JobEvent.shape.job.parse({
    id,
    userId: 'user001',
    clientId: '',
    state: 'queued',
    lane: 'normal',
    number: n,
    createdAt: 1_000_000,
    outputsToExecute: [],
    executedNodes: [],
    cachedNodes: [],
    outputs: {},
    statusMessages: [],
    ...over,
  });
}
