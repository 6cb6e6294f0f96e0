import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { createBackends } from './factory';

const base = { RELAY_SECRET: 's'.repeat(16), ADMIN_TOKEN: 'a'.repeat(16) };
const logger = pino({ level: 'silent' });

describe('createBackends', () => {
  it('simulated: one backend per simulator URL its caller gives, labelled simulated', async () => {
    const set = await createBackends(
      loadConfig({
        ...base,
        INFERENCE_MODE: 'simulated',
        COMFYUI_GPU_URLS: 'http://127.0.0.1:9,http://sim.example:8188',
      }),
      { logger },
    );
    try {
      expect(set.backends.map((b) => [b.name, b.kind])).toEqual([
        ['simulated:9', 'simulated'],
        ['simulated:sim.example:8188', 'simulated'],
      ]);
    } finally {
      await set.close();
    }
  });

  it('refuses to start without a GPU, saying what to set', async () => {
    await expect(createBackends(loadConfig(base), { logger })).rejects.toThrow(
      /no GPU configured: set COMFYUI_GPU_URLS/,
    );
  });
});
