import { describe, expect, it } from 'vitest';
import { stripBasePath } from './router';

describe('stripBasePath', () => {
  it('strips the prefix and keeps the query', () => {
    expect(stripBasePath('/user001/ws?clientId=abc', '/user001')).toEqual({
      url: '/ws?clientId=abc',
    });
    expect(stripBasePath('/user001/', '/user001')).toEqual({ url: '/' });
  });
  it('redirects the bare prefix to its slash form (the frontend needs it, §6.1)', () => {
    expect(stripBasePath('/user001', '/user001')).toEqual({ redirect: '/user001/' });
    expect(stripBasePath('/user001?x=1', '/user001')).toEqual({ redirect: '/user001/?x=1' });
  });
  it('leaves other paths and a missing prefix alone', () => {
    expect(stripBasePath('/user0012/x', '/user001')).toEqual({ url: '/user0012/x' });
    expect(stripBasePath('/api/jobs', '')).toEqual({ url: '/api/jobs' });
  });
});
