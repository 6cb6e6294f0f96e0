/**
 * @fileoverview `comfyume up --workers n`: one `comfyume worker` process beside each simulated
 * GPU, each with its own worker token, connecting out to the relay; ready once the relay's
 * /health lists them all as ready pull backends.
 */
import { mintWorkerToken } from '../../../kit/worker-token';
import { waitUntil, type ManagedProcess } from './processes';

type Launch = (name: string, args: string[], env: Record<string, string>) => ManagedProcess;

export async function startPullWorkers(
  gpuUrls: string[],
  relayUrl: string,
  relaySecret: string,
  cli: Launch,
): Promise<void> {
  const workers = gpuUrls.map((url, i) =>
    cli(`worker-${i + 1}`, ['worker'], {
      RELAY_URL: relayUrl,
      WORKER_TOKEN: mintWorkerToken(relaySecret, `sim-gpu-${i + 1}`),
      COMFYUI_URL: url,
    }),
  );
  await waitUntil(
    'pull workers connected',
    async () => {
      const health = (await (await fetch(`${relayUrl}/health`)).json()) as {
        backends?: { kind: string; state: string }[];
      };
      const ready = health.backends?.filter((b) => b.kind === 'pull' && b.state === 'ready');
      return (ready?.length ?? 0) >= workers.length;
    },
    { process: workers[0], timeoutMs: 120_000 },
  );
}
