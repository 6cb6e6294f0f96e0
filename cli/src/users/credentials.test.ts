/** @fileoverview Workshop credentials: hashes verify, passwords are typeable. */
import { describe, expect, it } from 'vitest';
import { bcryptjsHasher, defaultHasher, randomPassword, verifyHtpasswdLine } from './credentials';

describe('credentials', () => {
  it('passwords are random, long and free of look-alike characters', () => {
    const a = randomPassword();
    expect(a).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{4}(-[a-km-zA-HJ-NP-Z2-9]{4}){3}$/);
    expect(randomPassword()).not.toBe(a);
  });

  it('both hashers write bcrypt htpasswd lines that verify only the right password', async () => {
    for (const hasher of [bcryptjsHasher, await defaultHasher()]) {
      const line = await hasher.hash('user001', 'pa-ss');
      expect(line).toMatch(/^user001:\$2[aby]\$05\$/);
      expect(await verifyHtpasswdLine(line, 'user001', 'pa-ss')).toBe(true);
      expect(await verifyHtpasswdLine(line, 'user001', 'pa-sS')).toBe(false);
      expect(await verifyHtpasswdLine(line, 'user002', 'pa-ss')).toBe(false);
    }
  });
});
