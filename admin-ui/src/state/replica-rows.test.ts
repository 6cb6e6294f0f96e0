import { describe, expect, it } from 'vitest';
import type { ReplicaInfo } from '../../../protocol/src/agent/admin';
import { replicaRows } from './replica-rows';

const JOB = '5b8f1c2e-0d3a-4f6b-9c7e-1a2b3c4d5e6f';
const now = 1_767_225_600_000;
const replica = (id: string, patch: Partial<ReplicaInfo> = {}): ReplicaInfo => ({
  v: 1,
  replica: id,
  startedAt: now - 60_000,
  at: now,
  beat: 3,
  comfyui: '0.27.0',
  agent: '1.0.0',
  intervalS: 2,
  running: null,
  pending: [],
  state: 'live',
  lastSeenAt: now - 1000,
  ...patch,
});

describe('replica rows', () => {
  it('say what each replica runs, what waits on it and when it last beat; dead ones last', () => {
    const rows = replicaRows(
      [
        replica('gpu-c', {
          state: 'stale',
          lastSeenAt: now - 40_000,
          running: { job: JOB, attempt: 1, node: '3', progress: null },
        }),
        replica('gpu-b', {
          running: { job: JOB, attempt: 2, node: '3', progress: { node: '3', value: 5, max: 20 } },
          pending: [{ job: JOB, attempt: 1 }],
        }),
        replica('gpu-a'),
      ],
      now,
    );
    expect(rows.map((r) => [r.id, r.label, r.tone])).toEqual([
      ['gpu-a', 'idle', 'ok'],
      ['gpu-b', 'running', 'busy'],
      ['gpu-c', 'no heartbeat', 'bad'],
    ]);
    expect(rows[1]).toMatchObject({
      running: '5b8f1c2e · attempt 2 · node 3 · 5/20',
      pending: 1,
      jobId: JOB,
      lastSeen: 'just now',
    });
    expect(rows[2]).toMatchObject({
      running: 'held 5b8f1c2e when it stopped',
      lastSeen: '40s ago',
    });
    expect(rows[0]!.version).toBe('ComfyUI 0.27.0 · agent 1.0.0');
  });
});
