import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { mintUserToken, verifyToken } from '../../../kit/user-token';
import { revocationsKey } from '../../../kit/token-revocations';
import { startRedis } from '../../../kit/redis-server';
import { UsageError } from '../args';
import { main } from './token';

const run = promisify(execFile);
const bin = resolve(import.meta.dirname, '../../../bin/comfyume.js');

describe('comfyume token', () => {
  let home: string;
  let elsewhere: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'comfyume-token-home-'));
    elsewhere = await mkdtemp(join(tmpdir(), 'comfyume-token-cwd-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  });

  const envWithout = (extra: Record<string, string>) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    delete env.RELAY_SECRET;
    return env;
  };

  it("prints the user's relay token from RELAY_SECRET, carrying its issue time", async () => {
    const secret = 'a-secret-for-the-token-test';
    const before = Date.now();
    const { stdout } = await run(process.execPath, [bin, 'token', 'user007'], {
      cwd: elsewhere,
      env: { ...process.env, RELAY_SECRET: secret },
    });
    const principal = verifyToken(stdout.trim(), secret, 'x'.repeat(16));
    expect(principal).toEqual({ kind: 'user', userId: 'user007', issuedAt: expect.any(Number) });
    const issuedAt = (principal as { issuedAt: number }).issuedAt;
    expect(issuedAt).toBeGreaterThanOrEqual(before);
    expect(stdout.trim()).toBe(mintUserToken(secret, 'user007', issuedAt));
  });

  it('--revoke writes the revocation time into Redis, where the relays read it', async () => {
    const redis = await startRedis();
    const prefix = redis.prefix();
    try {
      const before = Date.now();
      const { stdout } = await run(process.execPath, [bin, 'token', '--revoke', 'user007'], {
        cwd: elsewhere,
        env: { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: prefix },
      });
      expect(stdout).toMatch(/revoked: tokens of user007 issued before .* are refused/);
      const client = new Redis(redis.url);
      const at = Number(await client.hget(revocationsKey(prefix), 'user007'));
      client.disconnect();
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(Date.now());
    } finally {
      await redis.stop();
    }
  });

  it('--revoke says which Redis it could not reach', async () => {
    const failed = await run(process.execPath, [bin, 'token', '--revoke', 'user007'], {
      cwd: elsewhere,
      env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' },
    }).catch((e: { stderr: string; code: number }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(
      /cannot reach the relay's Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });

  it("reads RELAY_SECRET from the workshop home's .env, from any folder", async () => {
    const secret = 'secret-written-by-up-0123456789';
    await writeFile(join(home, '.env'), `# generated\nRELAY_SECRET=${secret}\nADMIN_TOKEN=\n`);
    const { stdout } = await run(process.execPath, [bin, 'token', 'user001'], {
      cwd: elsewhere,
      env: envWithout({ COMFYUME_HOME: home }),
    });
    expect(verifyToken(stdout.trim(), secret, 'x'.repeat(16))).toMatchObject({
      kind: 'user',
      userId: 'user001',
    });
  });

  it('says what is missing and where it looked', async () => {
    const empty = join(home, 'nothing-here');
    const failed = await run(process.execPath, [bin, 'token', 'user007'], {
      cwd: elsewhere,
      env: envWithout({ COMFYUME_HOME: empty }),
    }).catch((e: { stderr: string; code: number }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(/RELAY_SECRET is not set/);
    expect((failed as { stderr: string }).stderr).toContain(join(empty, '.env'));
  });

  it("refuses a user id a token cannot carry, with the relay's own error", async () => {
    let relayMessage = '';
    try {
      mintUserToken('s3cret', '../x');
    } catch (error) {
      relayMessage = (error as Error).message;
    }
    expect(relayMessage).toBe('user id "../x" must be 1-64 of A-Z a-z 0-9 _ -');
    const refused = await main(['../x']).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toBe(relayMessage);
  });

  it('a usage mistake is one line and exit code 2', async () => {
    const failed = await run(process.execPath, [bin, 'token', '--bogus'], { cwd: elsewhere }).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect((failed as { code: number }).code).toBe(2);
    expect((failed as { stderr: string }).stderr.trim()).toBe(
      'comfyume token: unknown option --bogus (see comfyume token --help)',
    );
  });
});
