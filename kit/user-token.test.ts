import { describe, expect, it } from 'vitest';
import { bearer, mintUserToken, tokenVerifier, verifyToken } from './user-token';

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

  it('mints tokens with an issue time, verified with it; the original format stays valid', () => {
    const at = Date.UTC(2026, 11, 5, 7, 30);
    const token = mintUserToken(secret, 'user007', at);
    expect(token).toMatch(new RegExp(`^user007\\.${at}\\.[A-Za-z0-9_-]{43}$`));
    expect(verifyToken(token, secret, admin)).toEqual({
      kind: 'user',
      userId: 'user007',
      issuedAt: at,
    });
    expect(verifyToken(mintUserToken(secret, 'user007'), secret, admin)).toStrictEqual({
      kind: 'user',
      userId: 'user007',
    });
    // The issue time is signed: moving it, padding it, or dropping it breaks the token.
    for (const forged of [
      token.replace(`.${at}.`, `.${at + 1}.`),
      token.replace(`.${at}.`, `.0${at}.`),
      token.replace(`.${at}.`, '.'),
      `${token}.x`,
    ])
      expect(verifyToken(forged, secret, admin), forged).toBeUndefined();
    expect(
      verifyToken(mintUserToken('other-secret', 'user007', at), secret, admin),
    ).toBeUndefined();
    expect(() => mintUserToken(secret, 'user007', -1)).toThrow(/issue time/);
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

  it('remembers valid tokens only, and forgets them all when full', () => {
    const verify = tokenVerifier(secret, admin, 2);
    const a = mintUserToken(secret, 'a', 1);
    expect(verify(a)).toEqual({ kind: 'user', userId: 'a', issuedAt: 1 });
    expect(verify(a)).toBe(verify(a));
    expect(verify(mintUserToken('other-secret', 'a', 1))).toBeUndefined();
    expect(verify(admin)).toEqual({ kind: 'admin' });
    const first = verify(a);
    expect(verify(mintUserToken(secret, 'b'))).toEqual({ kind: 'user', userId: 'b' }); // full: forgets
    expect(verify(a)).not.toBe(first);
    expect(verify(a)).toEqual(first);
  });
});
