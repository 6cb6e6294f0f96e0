/** @fileoverview The API root as seen from the dashboard page, with and without a proxy prefix. */
import { describe, expect, it } from 'vitest';
import { relayBaseUrl } from './base-url';

describe('relayBaseUrl', () => {
  it('is the parent of /admin/, keeping a reverse-proxy prefix', () => {
    expect(relayBaseUrl('http://relay:3000/admin/')).toBe('http://relay:3000/');
    expect(relayBaseUrl('https://ws.example/ops/admin/?x=1#top')).toBe('https://ws.example/ops/');
    expect(relayBaseUrl('https://ws.example/ops/admin/users/u1')).toBe('https://ws.example/ops/');
    expect(relayBaseUrl('http://localhost:5173/')).toBe('http://localhost:5173/');
  });
});
