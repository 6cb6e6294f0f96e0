import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from './redis-server';
import { mintUserToken, verifyToken, type Principal } from './user-token';
import { revocationsKey, revokeUserTokens, TokenRevocations } from './token-revocations';

const secret = 'revocation-test-secret-0123456789';
const admin = 'revocation-test-admin-token-0123';
const principal = (token: string) => verifyToken(token, secret, admin) as Principal;

describe('token revocations', () => {
  let server: TestRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it("refuses a user's tokens issued before the revocation, old-format ones too, and nobody else's", async () => {
    const prefix = server.prefix();
    const revocations = new TokenRevocations(
      redis,
      revocationsKey(prefix),
      pino({ level: 'silent' }),
      60_000,
    );
    const old = principal(mintUserToken(secret, 'user007', Date.now() - 10_000));
    const legacy = principal(mintUserToken(secret, 'user007'));
    const other = principal(mintUserToken(secret, 'user008', Date.now() - 10_000));
    await revocations.start();
    for (const p of [old, legacy, other, { kind: 'admin' } as const])
      expect(revocations.refusal(p)).toBeUndefined();

    const at = await revokeUserTokens(redis, prefix, 'user007');
    await revocations.refresh();
    expect(revocations.refusal(old)).toMatch(
      /token of user007 was revoked by the operator at .*comfyume token user007/,
    );
    expect(revocations.refusal(legacy)).toMatch(/revoked/);
    expect(revocations.refusal(other)).toBeUndefined();
    expect(revocations.refusal(principal(mintUserToken(secret, 'user007', at)))).toBeUndefined();
    expect(
      revocations.refusal(principal(mintUserToken(secret, 'user007', at + 5))),
    ).toBeUndefined();
    revocations.stop();
  });

  it('keeps the last list read while Redis is unreachable', async () => {
    const prefix = server.prefix();
    await revokeUserTokens(redis, prefix, 'user009', Date.now());
    const dead = new Redis(server.url, { lazyConnect: true });
    const revocations = new TokenRevocations(
      dead,
      revocationsKey(prefix),
      pino({ level: 'silent' }),
      60_000,
    );
    await revocations.start();
    const p = principal(mintUserToken(secret, 'user009', 1));
    expect(revocations.refusal(p)).toMatch(/revoked/);
    dead.disconnect();
    await revocations.refresh(); // fails: the connection is closed
    expect(revocations.refusal(p)).toMatch(/revoked/);
    revocations.stop();
  });
});
