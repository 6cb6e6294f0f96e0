import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureEnvSecrets, readEnvFile } from './env-file';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ensureEnvSecrets', () => {
  it('creates a workshop home that does not exist yet and writes the secrets there, mode 600', async () => {
    dir = await mkdtemp(join(tmpdir(), 'comfyume-env-'));
    const file = join(dir, 'ws2', '.env');
    const { values, generated } = await ensureEnvSecrets(file, ['RELAY_SECRET'], {});
    expect(generated).toEqual(['RELAY_SECRET']);
    expect(await readEnvFile(file)).toEqual({ RELAY_SECRET: values.RELAY_SECRET });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('keeps a secret the file already has and fills an empty line in place', async () => {
    dir = await mkdtemp(join(tmpdir(), 'comfyume-env-'));
    const file = join(dir, '.env');
    await ensureEnvSecrets(file, ['RELAY_SECRET'], {});
    const first = await readEnvFile(file);
    const again = await ensureEnvSecrets(file, ['RELAY_SECRET', 'ADMIN_TOKEN'], {});
    expect(again.values.RELAY_SECRET).toBe(first.RELAY_SECRET);
    expect(again.generated).toEqual(['ADMIN_TOKEN']);
    expect(await readFile(file, 'utf8')).toContain(`ADMIN_TOKEN=${again.values.ADMIN_TOKEN}`);
  });
});
