/**
 * @fileoverview This user's jobs from the relay (`GET /api/jobs?full=1`) for the queue, history
 * and jobs answers. Concurrent readers share one request (the frontend asks for queue and history
 * at the same moment on every status); when the relay is down the last good list is served, so
 * the panels keep their content instead of emptying.
 */
import type { JobView } from '../../../protocol/src/relay/job';
import type { Logger } from '../logger';
import type { RelayClient } from './relay-client';

export type RelayJobs = { list(): Promise<{ jobs: JobView[]; stale: boolean }> };

export function createRelayJobs(relay: RelayClient, logger: Logger): RelayJobs {
  let inFlight: Promise<{ jobs: JobView[]; stale: boolean }> | undefined;
  let last: JobView[] = [];
  return {
    list() {
      inFlight ??= relay
        .listJobs({ full: true })
        .then((list) => {
          last = list.jobs;
          return { jobs: list.jobs, stale: false };
        })
        .catch((error: unknown) => {
          logger.warn(
            { err: error instanceof Error ? error.message : error },
            'relay job list unavailable; serving the last one',
          );
          return { jobs: last, stale: true };
        })
        .finally(() => (inFlight = undefined));
      return inFlight;
    },
  };
}
