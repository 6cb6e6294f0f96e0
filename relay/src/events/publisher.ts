/**
 * @fileoverview Turns a job's facts into durable relay events in the user's stream: record
 * snapshots (with position/ETA), the GPU's own ComfyUI messages, and evidence the relay established.
 */
import type { ComfyEvent, JobFact } from '../../../protocol/src/index';
import type { QueueInfo } from '../scheduler/queue-info';
import type { StoredJob } from '../store/job-record';
import type { JobStore } from '../jobs/job-store';
import type { EventLog } from './event-log';

export class Publisher {
  constructor(
    private readonly store: Pick<JobStore, 'get'>,
    private readonly log: EventLog,
    private readonly queue: QueueInfo,
  ) {}

  /** Append a `job` event with the job's current snapshot (re-read unless given). */
  async job(jobOrId: StoredJob | string): Promise<void> {
    const job = typeof jobOrId === 'string' ? await this.store.get(jobOrId) : jobOrId;
    if (!job) return;
    const { prompt: _p, extraData: _e, ...view } = this.queue.view(job);
    await this.log.append(job.userId, { type: 'job', job: view });
  }

  async comfy(
    job: Pick<StoredJob, 'id' | 'userId' | 'clientId'>,
    message: ComfyEvent['message'],
  ): Promise<void> {
    await this.log.append(job.userId, {
      type: 'comfy',
      jobId: job.id,
      clientId: job.clientId,
      message,
    });
  }

  async fact(job: Pick<StoredJob, 'id' | 'userId' | 'clientId'>, fact: JobFact): Promise<void> {
    await this.log.append(job.userId, {
      type: 'fact',
      jobId: job.id,
      clientId: job.clientId,
      fact,
    });
  }
}
