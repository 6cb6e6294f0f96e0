/**
 * When the sidecar declares a job lost with the relay's data: only when the relay reports the loss
 * AND answers 404 for the job AND the job was created before the loss was detected. A 404 alone, a
 * relay it cannot reach, or a job queued since the loss never ends a job.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../protocol/src/comfy/sequence/facts';
import type { Health } from '../../../protocol/src/relay/api';
import {
  ATTENDEE_DATA_LOSS_MESSAGE,
  LOST_JOB_MESSAGE,
  watchRelayDataLoss,
  type DataLossWatchOptions,
} from './relay-data-loss';

const DETECTED = 1_700_000_000_000;
const job = (id: string, createdAt: number): JobRecord =>
  ({
    id,
    state: 'running',
    createdAt,
    clientId: 'tab',
    executedNodes: [],
    cachedNodes: [],
    outputs: {},
    statusMessages: [],
  }) as unknown as JobRecord;
const health = (dataLost?: Health['redisDataLost']): Health => ({
  ok: true,
  redis: 'up',
  inferenceMode: 'direct',
  backends: [],
  queueDepth: 0,
  uptimeS: 1,
  version: 'test',
  ...(dataLost ? { redisDataLost: dataLost } : {}),
});

function setup(
  active: JobRecord[],
  known: Set<string>,
  report: { health: Health | undefined; unreachable?: boolean },
) {
  const reports: unknown[] = [];
  const lost: { ids: string[]; message: string }[] = [];
  const relay: DataLossWatchOptions['relay'] = {
    health: async () => report.health,
    getJob: async (id) => {
      if (report.unreachable) throw new Error('relay unreachable');
      return known.has(id) ? ({ id } as never) : undefined;
    },
  };
  const watch = watchRelayDataLoss({
    relay,
    activeJobs: () => active,
    everyMs: 60_000,
    logger: pino({ level: 'silent' }),
    onDataLoss: (l) => void reports.push(l),
    onJobsLost: async (jobs, message) => void lost.push({ ids: jobs.map((j) => j.id), message }),
  });
  return { watch, reports, lost };
}

describe('watchRelayDataLoss', () => {
  it('never ends a job on a plain 404 while the relay reports no loss', async () => {
    const { watch, reports, lost } = setup([job('a', DETECTED - 1)], new Set(), {
      health: health(),
    });
    await watch.check();
    expect(reports).toEqual([]);
    expect(lost).toEqual([]);
    expect(watch.dataLost).toBeUndefined();
    watch.stop();
  });

  it('reports the loss once and ends only the jobs from before it that the relay no longer has', async () => {
    const active = [
      job('gone', DETECTED - 5_000),
      job('kept', DETECTED - 5_000),
      job('newer', DETECTED + 1_000),
    ];
    const report = { health: health({ detectedAt: DETECTED, message: 'Redis lost its data' }) };
    const { watch, reports, lost } = setup(active, new Set(['kept']), report);
    await watch.check();
    await watch.check();
    expect(reports).toEqual([{ detectedAt: DETECTED, message: ATTENDEE_DATA_LOSS_MESSAGE }]);
    expect(lost[0]).toEqual({ ids: ['gone'], message: LOST_JOB_MESSAGE });
    watch.stop();
  });

  it('does not end a job when the relay cannot answer for it, and checks again later', async () => {
    const report = {
      health: health({ detectedAt: DETECTED, message: 'Redis lost its data' }),
      unreachable: true,
    };
    const { watch, lost } = setup([job('a', DETECTED - 1)], new Set(), report);
    await watch.check();
    expect(lost).toEqual([]);
    report.unreachable = false;
    await watch.check();
    expect(lost).toEqual([{ ids: ['a'], message: LOST_JOB_MESSAGE }]);
    watch.stop();
  });

  it('checks jobs the relay list dropped on a re-seed (suspects), not only the active ones', async () => {
    const report = { health: health({ detectedAt: DETECTED, message: 'Redis lost its data' }) };
    const { watch, lost } = setup([], new Set(), report);
    watch.suspect([job('dropped', DETECTED - 1)]);
    await watch.check();
    expect(lost.flatMap((l) => l.ids)).toEqual(['dropped']);
    watch.stop();
  });
});
