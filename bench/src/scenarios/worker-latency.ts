/**
 * @fileoverview Queue Prompt → first event and → output visible through a pull worker: the same
 * runs as prompt-latency.ts, on a relay in INFERENCE_MODE=workers whose simulated GPU is reached
 * only by `comfyume worker` connecting out to it (its messages relayed over the worker socket,
 * its outputs uploaded before `executed`). Compare with the `first-event`/`visible` rows (direct).
 */
import pino from 'pino';
import { until } from '../../../kit/until';
import { mintWorkerToken } from '../../../kit/worker-token';
import { createWorker } from '../../../worker/src/app';
import { loadWorkerConfig } from '../../../worker/src/config';
import type { Row } from '../report';
import { RELAY_SECRET, type Rig } from '../rig';
import { promptLatency, type PromptLatencyOptions } from './prompt-latency';

export async function workerLatency(rig: Rig, o: PromptLatencyOptions): Promise<Row[]> {
  const relay = await rig.startRelay('workers', {}, { INFERENCE_MODE: 'workers' });
  const worker = createWorker(
    loadWorkerConfig({
      RELAY_URL: relay.url,
      WORKER_TOKEN: mintWorkerToken(RELAY_SECRET, 'bench'),
      COMFYUI_URL: relay.gpu.url,
    }),
    pino({ level: 'silent' }),
  );
  try {
    await worker.start();
    await until(
      () => relay.relay.parts.workers.list().some((w) => w.state === 'ready'),
      60_000,
      'the bench worker connected',
    );
    const attendee = await rig.startAttendee(relay.url, 'bench-w');
    try {
      const rows = await promptLatency(relay, attendee, o);
      return rows.map((row) => ({
        ...row,
        id: `worker-${row.id}`,
        bench: 'workers' as const,
        measure: `${row.measure}, through a pull worker`,
      }));
    } finally {
      await attendee.close();
    }
  } finally {
    await worker.close();
    await relay.close();
  }
}
