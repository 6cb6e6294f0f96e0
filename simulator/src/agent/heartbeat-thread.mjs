/**
 * @fileoverview The simulated agent's heartbeat writer, on its own thread like the Python agent's
 * (gpu-agent/comfyume_agent/agent.py): a replica busy in a long node keeps beating, as a real
 * ComfyUI does while a node computes; only a dead process stops. The replica's thread posts the
 * heartbeat's content when it changes; this thread stamps `at` and `beat` and writes the file
 * whole (temporary file, fsync, rename) every `intervalMs`. Plain JavaScript: a worker runs
 * without the CLI's TypeScript loader.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs } = workerData;
let state = workerData.state;
let beat = 0;

function write() {
  beat += 1;
  const folder = dirname(path);
  const temp = join(folder, `.${basename(path)}.${process.pid}.hb.tmp`);
  try {
    mkdirSync(folder, { recursive: true });
    const fd = openSync(temp, 'w');
    try {
      writeFileSync(fd, JSON.stringify({ ...state, at: Date.now(), beat }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch {
    rmSync(temp, { force: true }); // the volume is away: the next beat tries again
  }
}

write();
const timer = setInterval(write, intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'state') state = message.state;
  else if (message.type === 'stop') {
    clearInterval(timer);
    rmSync(path, { force: true });
    parentPort.close();
  }
});
