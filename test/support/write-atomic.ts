/** @fileoverview Tests write the agent's files as the agent does: whole (write-file-atomic), folders made first. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export function writeAtomic(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic.sync(path, data);
}
