// Dead direct GPUs: noticed 3 s after the socket closed with health failing, resubmitted once; each bad value named.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

const base = { RELAY_SECRET: 's'.repeat(16), ADMIN_TOKEN: 'a'.repeat(16) };

describe('direct GPU health settings', () => {
  it('defaults: dead after 3 s of failing checks (every 1 s, 2 s each), one resubmit', () => {
    expect(loadConfig(base).gpuHealth).toEqual({
      deadAfterMs: 3000,
      pollMs: 1000,
      timeoutMs: 2000,
      maxResubmits: 1,
    });
    const set = loadConfig({
      ...base,
      GPU_DEAD_AFTER_MS: '5000',
      GPU_HEALTH_POLL_MS: '250',
      GPU_HEALTH_TIMEOUT_MS: '800',
      GPU_MAX_RESUBMITS: '0',
    });
    expect(set.gpuHealth).toEqual({
      deadAfterMs: 5000,
      pollMs: 250,
      timeoutMs: 800,
      maxResubmits: 0,
    });
  });

  it('names every bad value', () => {
    const bad = () =>
      loadConfig({
        ...base,
        GPU_DEAD_AFTER_MS: '10',
        GPU_HEALTH_POLL_MS: 'often',
        GPU_MAX_RESUBMITS: '9',
      });
    expect(bad).toThrow(/GPU_DEAD_AFTER_MS[\s\S]*GPU_HEALTH_POLL_MS[\s\S]*GPU_MAX_RESUBMITS/);
  });
});
