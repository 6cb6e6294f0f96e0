/**
 * @fileoverview The simulated agent's heartbeat writer, on its own thread like the Python agent's
 * (gpu-agent/comfyume_agent/agent.py): a replica busy in a long node keeps beating, as a real
 * ComfyUI does while a node computes; only a dead process stops. The replica's thread posts the
 * heartbeat's content when it changes; this thread stamps `at` and `beat` and writes the file
 * whole (write-file-atomic: temporary file, fsync, rename) every `intervalMs`. Plain JavaScript:
 * a worker runs without the CLI's TypeScript loader.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import writeFileAtomic from 'write-file-atomic';

const { path, intervalMs } = workerData;
let state = workerData.state;
let beat = 0;

function write() {
  beat += 1;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic.sync(path, JSON.stringify({ ...state, at: Date.now(), beat }));
  } catch {
    // The volume is away: the next beat tries again.
  }
}

write();
parentPort.postMessage({ type: 'beating' }); // the replica says it is ready only once it beats
const timer = setInterval(write, intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'state') state = message.state;
  else if (message.type === 'stop') {
    clearInterval(timer);
    rmSync(path, { force: true });
    parentPort.close();
  }
});
