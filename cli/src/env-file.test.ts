import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureEnvSecrets, readEnvFile, setEnvValues } from './env-file';
import { prewarmEnvValues } from './commands/users';

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

describe("setEnvValues and the users command's warm-up flags", () => {
  it('replaces a line (also one commented out, as in .env.example) and appends the rest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'envfile-'));
    const file = join(dir, '.env');
    await writeFile(file, 'RELAY_SECRET=abc\n# PREWARM_SCHEDULE=\n');
    await setEnvValues(file, { PREWARM_SCHEDULE: '09:50-12:00', PREWARM_INTERVAL_S: '200' });
    expect(await readFile(file, 'utf8')).toBe(
      'RELAY_SECRET=abc\nPREWARM_SCHEDULE=09:50-12:00\nPREWARM_INTERVAL_S=200\n',
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readEnvFile(file)).toMatchObject({ PREWARM_SCHEDULE: '09:50-12:00' });
  });

  it("checks the flags with the relay's own schema", () => {
    expect(prewarmEnvValues({ schedule: ' 09:50-12:00, 13:20-16:30', interval: '200' })).toEqual({
      PREWARM_SCHEDULE: '09:50-12:00,13:20-16:30',
      PREWARM_INTERVAL_S: '200',
    });
    expect(prewarmEnvValues({})).toEqual({});
    expect(() => prewarmEnvValues({ schedule: '9-12' })).toThrow(
      /--prewarm-schedule: "9-12" is not a range|"9" is not a time as HH:MM/,
    );
    expect(() => prewarmEnvValues({ interval: '0' })).toThrow(/--prewarm-interval/);
  });
});
