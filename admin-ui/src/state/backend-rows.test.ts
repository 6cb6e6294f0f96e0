/** @fileoverview The dashboard's backend cards of pull workers: their jobs and last-seen time. */
import { describe, expect, it } from 'vitest';
import { emptyData } from './jobs-model';
import { backendRows } from './view-model';

describe('backendRows of pull workers', () => {
  it("shows a worker's jobs and when it was last heard from", () => {
    const now = 1_700_000_000_000;
    const d = emptyData();
    d.status = {
      queued: 0,
      running: 1,
      backends: [
        { name: 'direct:gpu1', kind: 'direct', state: 'ready', running: 0, capacity: 1 },
        {
          name: 'worker:lab-box',
          kind: 'pull',
          state: 'ready',
          running: 1,
          capacity: 2,
          jobs: ['0b7e1c2a-9f00-4a1e-8c55-3d2f1e0a9b77'],
          lastSeenAt: now - 12_000,
        },
        {
          name: 'worker:gone',
          kind: 'pull',
          state: 'down',
          running: 0,
          capacity: 1,
          jobs: [],
          lastSeenAt: now - 300_000,
        },
      ],
    };
    expect(backendRows(d, now).map((b) => [b.name, b.label, b.worker])).toEqual([
      ['direct:gpu1', 'Ready', undefined],
      ['worker:lab-box', 'Ready', { jobs: '0b7e1c2a', seen: 'seen 12s ago' }],
      ['worker:gone', 'Down', { jobs: 'no job', seen: 'seen 5m ago' }],
    ]);
  });
});
