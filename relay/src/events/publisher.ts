/**
 * @fileoverview Turns job changes and ComfyUI messages into durable relay events (job snapshots
 * with position/ETA, native comfy messages) in the user's stream.
 */
import type { ComfyEvent } from '../../../protocol/src/index';
import type { QueueInfo } from '../scheduler/queue-info';
import type { StoredJob } from '../store/job-record';
import type { RedisJobStore } from '../store/redis-job-store';
import type { EventLog } from './event-log';

export class Publisher {
  constructor(
    private readonly store: RedisJobStore,
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

  async comfy(job: Pick<StoredJob, 'id' | 'userId' | 'clientId'>, message: ComfyEvent['message']): Promise<void> {
    await this.log.append(job.userId, { type: 'comfy', jobId: job.id, clientId: job.clientId, message });
  }
}
