import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

const base = { RELAY_SECRET: 's'.repeat(16), ADMIN_TOKEN: 'a'.repeat(16) };

describe('loadConfig', () => {
  it('defaults to simulated mode on 0.0.0.0:3000, frozen', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      inferenceMode: 'simulated',
      host: '0.0.0.0',
      port: 3000,
      redisPrefix: 'comfyume:',
      maxRunningPerUser: 1,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('infers the mode from what is configured', () => {
    expect(
      loadConfig({ ...base, COMFYUI_GPU_URLS: 'http://gpu1:8188/, http://gpu2:8188' }),
    ).toMatchObject({ inferenceMode: 'direct', gpuUrls: ['http://gpu1:8188', 'http://gpu2:8188'] });
    expect(
      loadConfig({
        ...base,
        SERVERLESS_ENDPOINT: 'https://x.example',
        SFS_OUTPUT_DIR: '/mnt/sfs/out',
      }).inferenceMode,
    ).toBe('serverless');
  });

  it('lists every bad value in one message', () => {
    let message = '';
    try {
      loadConfig({
        INFERENCE_MODE: 'gpu',
        RELAY_PORT: 'abc',
        MAX_QUEUED_PER_USER: '-1',
        COMFYUI_GPU_URLS: 'ftp://x',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const key of [
      'INFERENCE_MODE',
      'RELAY_PORT',
      'MAX_QUEUED_PER_USER',
      'RELAY_SECRET',
      'ADMIN_TOKEN',
    ])
      expect(message).toContain(key);
  });

  it('requires what a mode needs', () => {
    expect(() => loadConfig({ ...base, INFERENCE_MODE: 'serverless' })).toThrow(
      /SERVERLESS_ENDPOINT[\s\S]*SFS_OUTPUT_DIR/,
    );
    expect(() => loadConfig({ ...base, INFERENCE_MODE: 'direct' })).toThrow(
      /COMFYUI_GPU_URLS: required/,
    );
    // The relay never starts a simulator: simulated mode drives the ones its caller started.
    expect(() => loadConfig({ ...base, INFERENCE_MODE: 'simulated' })).toThrow(
      /COMFYUI_GPU_URLS: required when INFERENCE_MODE=simulated/,
    );
    expect(
      loadConfig({
        ...base,
        INFERENCE_MODE: 'simulated',
        COMFYUI_GPU_URLS: 'http://127.0.0.1:8188',
      }),
    ).toMatchObject({ inferenceMode: 'simulated', gpuUrls: ['http://127.0.0.1:8188'] });
    expect(() => loadConfig({ ...base, COMFYUI_GPU_URLS: 'ftp://x' })).toThrow(
      /not an http\(s\) URL/,
    );
  });
});
