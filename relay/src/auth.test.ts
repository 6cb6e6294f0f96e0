import { describe, expect, it } from 'vitest';
import { bearer, mintUserToken, verifyToken } from './auth';

const secret = 'relay-secret-for-tests';
const admin = 'admin-token-for-tests';

describe('auth', () => {
  it('mints user tokens the relay verifies, and nothing else', () => {
    const token = mintUserToken(secret, 'user001');
    expect(token).toMatch(/^user001\.[A-Za-z0-9_-]{43}$/);
    expect(verifyToken(token, secret, admin)).toEqual({ kind: 'user', userId: 'user001' });
    expect(verifyToken(admin, secret, admin)).toEqual({ kind: 'admin' });
    expect(verifyToken(mintUserToken('other-secret', 'user001'), secret, admin)).toBeUndefined();
    expect(verifyToken(token.replace('user001', 'user002'), secret, admin)).toBeUndefined();
    expect(verifyToken('user001.', secret, admin)).toBeUndefined();
    expect(verifyToken('', secret, admin)).toBeUndefined();
  });

  it('refuses user ids that could not be a folder name', () => {
    expect(() => mintUserToken(secret, '../x')).toThrow(/user id/);
    expect(verifyToken(`../x.${'a'.repeat(43)}`, secret, admin)).toBeUndefined();
  });

  it('reads Bearer headers', () => {
    expect(bearer('Bearer abc.def')).toBe('abc.def');
    expect(bearer('bearer  abc')).toBe('abc');
    expect(bearer('Basic abc')).toBeUndefined();
    expect(bearer(undefined)).toBeUndefined();
  });
});
