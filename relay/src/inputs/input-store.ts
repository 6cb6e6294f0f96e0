/**
 * @fileoverview Input files (LoadImage & co.) uploaded by a sidecar before submit, content-addressed
 * per user: `<inputDir>/<userId>/<sha256>`. Written to a part file and renamed (`kit/output-files/placement.ts`), so a reader never
 * sees half a file; the hash is checked, so the name is a promise about the bytes.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dropPart, renamePart, writePart } from '../../../kit/output-files/placement';
import { RelayError } from '../errors';

const SHA256 = /^[0-9a-f]{64}$/;

export class InputStore {
  constructor(readonly root: string) {}

  path(userId: string, sha256: string): string {
    if (!SHA256.test(sha256))
      throw new RelayError('bad_request', `"${sha256}" is not a lowercase hex sha256`);
    return join(this.root, userId, sha256);
  }

  async put(userId: string, sha256: string, bytes: Buffer): Promise<void> {
    const target = this.path(userId, sha256);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256)
      throw new RelayError(
        'bad_request',
        `the uploaded bytes hash to ${actual}, not ${sha256}; upload the file the URL names`,
      );
    if (await this.has(userId, sha256)) return;
    await mkdir(join(this.root, userId), { recursive: true });
    const part = await writePart(join(this.root, userId), bytes);
    await renamePart(part, target).catch(async (error: unknown) => {
      await dropPart(part);
      throw error;
    });
  }

  async has(userId: string, sha256: string): Promise<boolean> {
    return stat(this.path(userId, sha256)).then(
      (s) => s.isFile(),
      () => false,
    );
  }
}
