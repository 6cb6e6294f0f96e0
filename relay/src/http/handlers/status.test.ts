/** @fileoverview The queue status's backends: a pull worker's jobs and last-seen time, for admins only. */
import { describe, expect, it } from 'vitest';
import { QueueStatus } from '../../../../protocol/src/index';
import { queueStatus, type QueueStatusContext } from './status';

const seenAt = Date.now() - 1_500;
const services = {
  store: {
    counts: async () => ({ queued: 2, running: 1, byUser: {} }),
    backendRunning: async () => ({ 'worker:lab-box': 1 }),
  },
  backends: [
    { name: 'direct:gpu1', kind: 'direct', state: () => 'ready', capacity: () => 1 },
    {
      name: 'worker:lab-box',
      kind: 'pull',
      state: () => 'ready',
      capacity: () => 2,
      activity: () => ({ jobs: ['job-a'], lastSeenAt: seenAt }),
    },
  ],
  queue: { typicalRunMs: undefined },
  redisDurability: () => ({}),
} as unknown as QueueStatusContext & Parameters<typeof queueStatus>[1];

const ask = async (principal: Parameters<typeof queueStatus>[0]['principal']) => {
  const result = await queueStatus({ principal, params: {}, query: {}, body: undefined }, services);
  return QueueStatus.parse((result as { body: unknown }).body).backends;
};

describe('queue status backends', () => {
  it("shows an admin each worker's jobs and when it was last heard from", async () => {
    const backends = await ask({ kind: 'admin' });
    expect(backends).toEqual([
      { name: 'direct:gpu1', kind: 'direct', state: 'ready', running: 0, capacity: 1 },
      {
        name: 'worker:lab-box',
        kind: 'pull',
        state: 'ready',
        running: 1,
        capacity: 2,
        jobs: ['job-a'],
        lastSeenAt: seenAt,
      },
    ]);
  });

  it('keeps job ids from users', async () => {
    const backends = await ask({ kind: 'user', userId: 'user001' });
    expect(backends[1]).toEqual({
      name: 'worker:lab-box',
      kind: 'pull',
      state: 'ready',
      running: 1,
      capacity: 2,
    });
  });
});
