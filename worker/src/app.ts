/**
 * @fileoverview The pull worker's composition root: the ComfyUI client and socket beside it
 * (kit/comfy), the relay link, the file transfers, and the jobs it runs now. Builds everything;
 * `start()` waits for its ComfyUI to answer once (its node set goes into hello), then connects out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { WORKER_PROTOCOL, type RelayToWorker } from '../../protocol/src/index';
import { ComfyClient } from '../../kit/comfy/client';
import { SERVER_ERROR } from '../../kit/comfy/http';
import { ReconnectingComfySocket } from '../../kit/comfy/reconnecting-socket';
import type { WorkerConfig } from './config';
import { JobRun } from './job-run';
import { RelayFiles } from './relay-files';
import { RelayLink } from './relay-link';

/** Only these reads of its ComfyUI are answered for the relay (node set, model listings). */
const READABLE = /^\/(object_info|models|embeddings|experiment\/models)(\/[A-Za-z0-9_.-]+)?$/;

export type Worker = {
  link: RelayLink;
  /** Jobs it runs now, by job id. */
  jobs: Map<string, JobRun>;
  start(): Promise<void>;
  close(): Promise<void>;
};

export function createWorker(config: WorkerConfig, logger: Logger): Worker {
  const client = new ComfyClient({
    baseUrl: config.comfyUrl,
    timeoutMs: 30_000,
    unavailableStatus: SERVER_ERROR,
  });
  // Stable per worker name, so prompts submitted before a worker restart still send their events here.
  const clientId = `comfyume-worker-${config.name}`;
  const socket = new ReconnectingComfySocket(config.comfyUrl, clientId, logger);
  const files = new RelayFiles(config);
  const jobs = new Map<string, JobRun>();
  let workDir = '';
  let closed = false;

  const onMessage = (message: RelayToWorker) => {
    switch (message.type) {
      case 'welcome':
        return;
      case 'run': {
        const held = jobs.get(message.jobId);
        if (held && held.attempt === message.attempt) return held.replay(message.fromSeq);
        void held?.drop();
        const run = new JobRun(message, {
          client,
          files,
          send: (m) => link.send(m),
          clientId,
          inputDir: join(workDir, 'inputs'),
          coldStartMs: config.coldStartMs,
          logger,
          onEnd: () => {
            if (jobs.get(message.jobId) === run) jobs.delete(message.jobId);
            unsubscribe();
          },
        });
        const unsubscribe = socket.subscribe(message.jobId, (frame) => run.frame(frame));
        jobs.set(message.jobId, run);
        logger.info({ jobId: message.jobId, attempt: message.attempt }, 'job received');
        void run.start();
        return;
      }
      case 'cancel':
        void jobs.get(message.jobId)?.cancel();
        return;
      case 'drop': {
        const run = jobs.get(message.jobId);
        logger.info({ jobId: message.jobId, why: message.reason }, 'dropping a job');
        // Not held by this process (it restarted): its ComfyUI may still run it from before.
        if (run) void run.drop();
        else void client.interrupt(message.jobId).catch(() => undefined);
        return;
      }
      case 'read': {
        const answer = READABLE.test(message.path)
          ? client.getJson(message.path)
          : Promise.resolve({ status: 403, body: { error: 'not a path the relay may read' } });
        void answer.then(
          ({ status, body }) => link.send({ type: 'read_result', id: message.id, status, body }),
          (error: Error) =>
            link.send({ type: 'read_result', id: message.id, status: 502, body: error.message }),
        );
      }
    }
  };

  const link = new RelayLink({
    relayUrl: config.relayUrl,
    token: config.token,
    logger,
    onMessage,
    hello: async () => ({
      type: 'hello',
      protocol: WORKER_PROTOCOL,
      capacity: config.capacity,
      nodes: Object.keys(await client.objectInfo()),
      holding: [...jobs.values()].map((run) => run.ref),
    }),
  });

  return {
    link,
    jobs,
    async start() {
      workDir = await mkdtemp(join(tmpdir(), 'comfyume-worker-'));
      // Its node set is what the relay routes by: wait until its ComfyUI answers once.
      for (let tries = 0; !closed; tries++) {
        try {
          await client.objectInfo();
          break;
        } catch (error) {
          if (tries % 15 === 0)
            logger.info(
              { comfyui: config.comfyUrl, err: (error as Error).message },
              'waiting for its ComfyUI to answer',
            );
          await sleep(1_000);
        }
      }
      link.start();
    },
    async close() {
      closed = true;
      link.close();
      socket.close();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    },
  };
}
