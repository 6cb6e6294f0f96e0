import { describe, expect, it } from 'vitest';
import { RelayError } from '../errors';
import type { StoredJob } from '../store/job-record';
import { JobService, type JobServiceContext, type SubmitRequest } from './job-service';

/** A context of plain objects (bullmq's lock manager test style): every call is recorded in `calls`. */
function fixture(options: { existing?: StoredJob[] } = {}) {
  const calls: string[] = [];
  const jobs = new Map((options.existing ?? []).map((job) => [job.id, job]));
  const context: JobServiceContext = {
    store: {
      create: async (job) => {
        const held = jobs.get(job.id);
        if (held && held.userId !== job.userId)
          throw new RelayError('conflict', `job id ${job.id} is already used`);
        if (held) return { job: held, created: false };
        const stored = { ...job, state: 'queued', position: 1 } as unknown as StoredJob;
        jobs.set(job.id, stored);
        calls.push(`create ${job.id}`);
        return { job: stored, created: true };
      },
      createFinished: async () => {
        throw new Error('not used');
      },
      get: async (id) => {
        calls.push(`get ${id}`);
        return jobs.get(id);
      },
      list: async () => ({ jobs: [...jobs.values()], total: jobs.size }),
      cancelIf: async (id) => {
        calls.push(`cancelIf ${id}`);
        return { outcome: 'requested', before: 'running' };
      },
      setLane: async (id, lane) => void calls.push(`setLane ${id} ${lane}`),
    },
    scheduler: {
      queueChanged: () => void calls.push('queue changed'),
      kick: () => void calls.push('kick'),
      cancelRequested: (id) => void calls.push(`cancelRequested ${id}`),
    },
    publisher: {
      job: async (job) => void calls.push(`publish ${typeof job === 'string' ? job : job.id}`),
    },
    bus: { control: (message) => void calls.push(`bus ${message.type}`) },
    inputs: { has: async () => true },
    outputs: { resolve: async () => '' },
    maxNodes: 10,
  };
  return { calls, service: new JobService(context) };
}

const request = (jobId: string): SubmitRequest => ({
  jobId,
  clientId: 'tab',
  prompt: { '1': { class_type: 'X', inputs: {} } },
  extraData: {},
  inputs: [],
});
const job = (id: string, userId: string) =>
  ({ id, userId, state: 'running', createdAt: 0 }) as unknown as StoredJob;
/** A job id the prompt tagger accepts (a UUID, as the sidecar mints). */
const J1 = '6f1f4c2e-0d7a-4b7e-9a51-3c2b8e0f5a11';
const alice = { kind: 'user', userId: 'alice' } as const;
const admin = { kind: 'admin' } as const;

describe('JobService', () => {
  it('publishes the job as created (no second read), has the moves announced, dispatches and wakes the other relays after a new job', async () => {
    const { calls, service } = fixture();
    const { created } = await service.submit('alice', request(J1));
    expect(created).toBe(true);
    expect(calls).toEqual([`create ${J1}`, `publish ${J1}`, 'queue changed', 'kick', 'bus queue']);
  });

  it('changes nothing on a retried submit', async () => {
    const { calls, service } = fixture({ existing: [job(J1, 'alice')] });
    expect((await service.submit('alice', request(J1))).created).toBe(false);
    expect(calls).toEqual([]);
  });

  it("answers another user's job id as not found, also when submitted as a new job", async () => {
    const { service } = fixture({ existing: [job(J1, 'bob')] });
    await expect(service.submit('alice', request(J1))).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(service.find(alice, J1)).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.cancel(alice, J1, undefined)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await service.find(admin, J1)).userId).toBe('bob');
  });

  it('asks the running relay to interrupt a running job, here and across relays', async () => {
    const { calls, service } = fixture({ existing: [job(J1, 'alice')] });
    expect(await service.cancel(alice, J1, undefined)).toMatchObject({
      before: 'running',
      cancelled: true,
    });
    expect(calls).toContain(`cancelRequested ${J1}`);
    expect(calls).toContain('bus cancel');
  });

  it('lets only the operator change a lane, then re-announces without waking the other relays', async () => {
    const { calls, service } = fixture({ existing: [job(J1, 'alice')] });
    await expect(service.reprioritise(alice, J1, 'priority')).rejects.toMatchObject({
      code: 'forbidden',
    });
    await service.reprioritise(admin, J1, 'priority');
    expect(calls).toEqual([
      `get ${J1}`,
      `setLane ${J1} priority`,
      `get ${J1}`,
      `publish ${J1}`,
      'queue changed',
      'kick',
    ]);
  });
});
