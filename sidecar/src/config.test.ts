import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

const base = {
  RELAY_URL: 'http://relay:3000/',
  USER_ID: 'user001',
  RELAY_TOKEN: 'user001.abc',
  COMFYUI_OUTPUT_DIR: '/srv/comfy/output',
  COMFYUI_TEMP_DIR: '/srv/comfy/temp',
  COMFYUI_INPUT_DIR: '/srv/comfy/input',
};

describe('loadConfig', () => {
  it('applies the defaults and returns a frozen object', () => {
    const config = loadConfig(base);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8188 });
    expect(config.comfyUrl).toBe('http://127.0.0.1:18188');
    expect(config.relayUrl).toBe('http://relay:3000');
    expect(config.basePath).toBe('');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts QUEUE_MANAGER_URL as the old name of RELAY_URL', () => {
    expect(
      loadConfig({ ...base, RELAY_URL: undefined, QUEUE_MANAGER_URL: 'https://qm.example' })
        .relayUrl,
    ).toBe('https://qm.example');
  });

  it('lists every bad value in one error, never echoing the token', () => {
    let error: unknown;
    try {
      loadConfig({
        SIDECAR_LISTEN: 'nope',
        COMFYUI_URL: 'ftp://x',
        RELAY_URL: 'not a url',
        USER_ID: 'bad id!',
        RELAY_TOKEN: '',
        COMFYUI_OUTPUT_DIR: '/o',
        SIDECAR_WS_PING_MS: '-5',
        SIDECAR_BASE_PATH: 'user001',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(keys.sort()).toEqual(
      [
        'COMFYUI_INPUT_DIR',
        'COMFYUI_TEMP_DIR',
        'COMFYUI_URL',
        'RELAY_TOKEN',
        'RELAY_URL',
        'SIDECAR_BASE_PATH',
        'SIDECAR_LISTEN',
        'SIDECAR_WS_PING_MS',
        'USER_ID',
      ].sort(),
    );
    expect((error as Error).message).toContain('RELAY_TOKEN: ');
    expect((error as Error).message).not.toContain('got ""');
  });

  it('parses a listen address and a base path', () => {
    const config = loadConfig({
      ...base,
      SIDECAR_LISTEN: '127.0.0.1:9000',
      SIDECAR_BASE_PATH: '/user001/',
    });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(config.basePath).toBe('/user001');
  });
});
