import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mintUserToken, verifyToken } from '../../../relay/src/auth';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../../..');

describe('comfyume token', () => {
  it("prints the user's relay token from RELAY_SECRET", async () => {
    const secret = 'a-secret-for-the-token-test';
    const { stdout } = await run(process.execPath, ['bin/comfyume.js', 'token', 'user007'], { cwd: repo, env: { ...process.env, RELAY_SECRET: secret } });
    expect(stdout.trim()).toBe(mintUserToken(secret, 'user007'));
    expect(verifyToken(stdout.trim(), secret, 'x'.repeat(16))).toEqual({ kind: 'user', userId: 'user007' });
  });

  it('says what is missing', async () => {
    const env = { ...process.env };
    delete env.RELAY_SECRET;
    const failed = await run(process.execPath, ['bin/comfyume.js', 'token', 'user007'], { cwd: repo, env }).catch((e: { stderr: string; code: number }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(/RELAY_SECRET is not set/);
  });
});
