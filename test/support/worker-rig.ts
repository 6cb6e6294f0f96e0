/**
 * @fileoverview A pull worker and the relay side it talks to, without a whole relay: the worker
 * fleet's socket and file routes on an HTTP server of their own, and `comfyume worker` in-process
 * beside a ComfyUI (a simulator). `restartRelaySide()` stands for a relay that died and came back
 * on the same address: the worker reconnects by itself. For the backend conformance suite.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import type { Backend } from '../../relay/src/backends/backend';
import { createWorkerFiles } from '../../relay/src/backends/worker/worker-files';
import { WorkerFleet } from '../../relay/src/backends/worker/worker-fleet';
import { WorkerStaging } from '../../relay/src/backends/worker/worker-staging';
import { until } from '../../kit/until';
import { mintWorkerToken } from '../../kit/worker-token';
import { createWorker, type Worker } from '../../worker/src/app';
import { loadWorkerConfig } from '../../worker/src/config';

const SECRET = 'worker-rig-secret-0123456789';
const silent = pino({ level: 'silent' });

export type WorkerRig = {
  backend(): Backend;
  restartRelaySide(): Promise<Backend>;
  close(): Promise<void>;
};

type RelaySide = { fleet: WorkerFleet; server: Server };

async function startRelaySide(scratch: string, port = 0): Promise<RelaySide> {
  const staging = new WorkerStaging(join(scratch, 'uploads'));
  const fleet = new WorkerFleet({
    relaySecret: SECRET,
    refusal: () => undefined,
    leaseMs: 5_000,
    maxMoves: 1,
    staging,
    backends: [],
    onReady: () => undefined,
    // No Redis here: a held job the fleet does not run is left alone (a resume asks for it).
    recordedRef: async () => undefined,
    logger: silent,
  });
  const files = createWorkerFiles({
    fleet,
    staging,
    relaySecret: SECRET,
    refusal: () => undefined,
    logger: silent,
  });
  const server = createServer((req, res) => {
    if (!files(req, res)) res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!fleet.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { fleet, server };
}

async function stopRelaySide(side: RelaySide): Promise<void> {
  await side.fleet.close();
  await new Promise<void>((r) => {
    side.server.close(() => r());
    side.server.closeAllConnections();
  });
}

export async function startWorkerRig(comfyUrl: string, scratch: string): Promise<WorkerRig> {
  let side = await startRelaySide(scratch);
  const port = (side.server.address() as AddressInfo).port;
  const worker: Worker = createWorker(
    loadWorkerConfig({
      RELAY_URL: `http://127.0.0.1:${port}`,
      WORKER_TOKEN: mintWorkerToken(SECRET, 'conformance'),
      COMFYUI_URL: comfyUrl,
      WORKER_COLD_START_S: '10',
    }),
    silent,
  );
  await worker.start();
  const ready = async (s: RelaySide) => {
    const backend = s.fleet.get('conformance');
    await until(() => backend.state() === 'ready', 20_000, 'worker connected');
    return backend;
  };
  let current = await ready(side);
  return {
    backend: () => current,
    async restartRelaySide() {
      await stopRelaySide(side);
      side = await startRelaySide(scratch, port);
      current = await ready(side);
      return current;
    },
    async close() {
      await worker.close();
      await stopRelaySide(side);
    },
  };
}
