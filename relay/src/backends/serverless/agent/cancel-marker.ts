/**
 * @fileoverview The relay's side of the cancel protocol: a marker on the shared volume
 * (`<SFS>/comfyume/<job>/.agent/cancel.json`) that the replica holding the job obeys within
 * ~100 ms — interrupting it when it runs, dequeuing it when it waits — and journals. It names an
 * attempt: a marker written before a resubmit stops the dead attempt's replica (should it be alive
 * after all) and leaves the new attempt alone.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import {
  AGENT_FORMAT_VERSION,
  cancelPath,
  type CancelMarker,
} from '../../../../../protocol/src/index';

export function writeCancelMarker(
  outputDir: string,
  jobId: string,
  attempt: number,
  reason: CancelMarker['reason'],
): void {
  const marker: CancelMarker = {
    v: AGENT_FORMAT_VERSION,
    job: jobId,
    attempt,
    reason,
    at: Date.now(),
  };
  const path = join(outputDir, ...cancelPath(jobId).split('/'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic.sync(path, JSON.stringify(marker)); // whole or not at all, as the replica reads it
}
