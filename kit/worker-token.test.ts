import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { TokenRevocations } from './token-revocations';
import { mintUserToken, verifyToken } from './user-token';
import { mintWorkerToken, verifyWorkerToken, workerRevocationKey } from './worker-token';

const SECRET = 'worker-token-secret-0123456789';

describe('worker tokens', () => {
  it('verify as the worker they name, and only under their secret', () => {
    const token = mintWorkerToken(SECRET, 'gpu-1', 1_000);
    expect(verifyWorkerToken(token, SECRET)).toEqual({
      kind: 'worker',
      worker: 'gpu-1',
      issuedAt: 1_000,
    });
    expect(verifyWorkerToken(token, `${SECRET}x`)).toBeUndefined();
    expect(verifyWorkerToken(token.replace('gpu-1', 'gpu-2'), SECRET)).toBeUndefined();
  });

  it('are never taken for user tokens, nor user tokens for them', () => {
    const worker = mintWorkerToken(SECRET, 'worker');
    expect(verifyToken(worker, SECRET, 'admin-token-0123456789')).toBeUndefined();
    for (const user of [mintUserToken(SECRET, 'worker'), mintUserToken(SECRET, 'worker', 5)])
      expect(verifyWorkerToken(user, SECRET)).toBeUndefined();
    expect(verifyWorkerToken('admin-token-0123456789', SECRET)).toBeUndefined();
  });

  it('are refused once their worker is revoked after they were issued', async () => {
    const redis = { hgetall: async () => ({ [workerRevocationKey('gpu-1')]: '2000' }) };
    const revocations = new TokenRevocations(
      redis as unknown as Redis,
      'k',
      pino({ level: 'silent' }),
    );
    await revocations.refresh();
    const principal = (at: number) =>
      verifyWorkerToken(mintWorkerToken(SECRET, 'gpu-1', at), SECRET)!;
    expect(revocations.refusal(principal(1_000))).toMatch(/revoked.*--worker gpu-1/);
    expect(revocations.refusal(principal(3_000))).toBeUndefined();
    // A user named like the key is another principal.
    expect(revocations.refusal({ kind: 'user', userId: 'gpu-1', issuedAt: 1_000 })).toBeUndefined();
  });
});
