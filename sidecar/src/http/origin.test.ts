import { describe, expect, it } from 'vitest';
import { originRefused } from './origin';

describe('originRefused (ComfyUI origin_only_middleware)', () => {
  it('accepts same-origin and header-less requests', () => {
    expect(originRefused({ host: '127.0.0.1:8188', origin: 'http://127.0.0.1:8188' })).toBe(false);
    expect(originRefused({ host: '127.0.0.1:8188' })).toBe(false);
    expect(originRefused({})).toBe(false);
  });
  it('refuses a foreign origin on a loopback host, and any cross-site fetch', () => {
    expect(originRefused({ host: '127.0.0.1:8188', origin: 'http://evil.example' })).toBe(true);
    expect(originRefused({ host: 'localhost:8188', origin: 'http://127.0.0.1:8188' })).toBe(true);
    expect(originRefused({ host: 'workshop.example', 'sec-fetch-site': 'cross-site' })).toBe(true);
  });
  it('does not check public hosts (ComfyUI limits the check to loopback)', () => {
    expect(originRefused({ host: 'workshop.example', origin: 'https://other.example' })).toBe(
      false,
    );
  });
  it('compares without port when one side has none', () => {
    expect(originRefused({ host: 'localhost', origin: 'http://localhost:8188' })).toBe(false);
    expect(originRefused({ host: 'localhost:8188', origin: 'http://localhost' })).toBe(false);
  });
});
