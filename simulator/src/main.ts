/** @fileoverview `comfyume simulate`: parse flags, start the simulator, print its URL, stop on SIGINT/SIGTERM. */
import pino from 'pino';
import { startSimulator } from './app';
import { parseConfig, USAGE } from './config';

export async function main(args: string[]): Promise<void> {
  const config = parseConfig(args);
  if (config.help) {
    console.log(USAGE);
    return;
  }
  const logger = pino({ name: 'simulator', redact: ['req.headers.authorization', 'apiKey'] });
  const simulator = await startSimulator({ ...config.options, logger });
  const count = simulator.replicas.length || simulator.processes.length;
  const agent = simulator.processes.length
    ? `, GPU agent on, pids ${simulator.processes.map((p) => p.pid).join(' ')}`
    : '';
  console.log(
    `ComfyUI simulator listening on ${simulator.url} (${count} replica${count === 1 ? '' : 's'}${agent})`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await simulator.close();
}
