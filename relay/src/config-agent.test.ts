// The GPU agent's settings: on by default (the operator sets no flag), each bad value named.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

const base = { RELAY_SECRET: 's'.repeat(16), ADMIN_TOKEN: 'a'.repeat(16) };

describe('agent settings', () => {
  it('follow agents by default, a dead replica noticed after 6 s and resubmitted once', () => {
    expect(loadConfig(base).serverless.agent).toEqual({
      enabled: true,
      pollMs: 200,
      staleMs: 6000,
      claimMs: 3000,
      maxResubmits: 1,
    });
    const off = loadConfig({
      ...base,
      AGENT_ENABLED: 'false',
      AGENT_STALE_S: '10',
      AGENT_MAX_RESUBMITS: '0',
    });
    expect(off.serverless.agent).toMatchObject({
      enabled: false,
      staleMs: 10_000,
      maxResubmits: 0,
    });
  });

  it('names every bad value', () => {
    const bad = () =>
      loadConfig({ ...base, AGENT_ENABLED: 'maybe', AGENT_POLL_MS: '5', AGENT_MAX_RESUBMITS: '9' });
    expect(bad).toThrow(/AGENT_ENABLED[\s\S]*AGENT_POLL_MS[\s\S]*AGENT_MAX_RESUBMITS/);
  });
});
