/**
 * @fileoverview Brings a job's output files from the relay into the local ComfyUI's output/temp
 * folders, at the same subfolder/filename, before the browser hears `executed`: then `/view`, the
 * media sidebar and drag-back (PNG workflow metadata) work exactly as for a local run.
 *
 * Writes are atomic and confined by real path (kit/output-files/placement.ts, confine.ts), so a
 * ComfyUI saver writing the same name at the same moment is never clobbered. A different file
 * already at that name gets the next free counter name (kit/output-files/comfy-names.ts); the chosen
 * name is kept in the sidecar state so history and jobs answers use it too.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, relative } from 'node:path';
import pRetry from 'p-retry';
import { nextFreeName } from '../../../kit/output-files/comfy-names';
import { confinedFolder, confinedPath } from '../../../kit/output-files/confine';
import {
  dropPart,
  isPlacedFile,
  linkUnderFreeName,
  writePart,
} from '../../../kit/output-files/placement';
import type { Logger } from '../logger';
import { bodyBytes } from '../net/http-pool';
import type { RelayClient } from '../relay/relay-client';
import { filesOf, renameOutput, type FileRef } from '../shapes/outputs';
import { outputKey, type StateStore } from '../state/state-store';

export type OutputStore = {
  /** Fetches every file the UI output names; returns the output with local names. Never throws. */
  localize<T>(jobId: string, output: T): Promise<T>;
  /** The local name of a job's file, when it differs from the relay's. */
  lookup(jobId: string, ref: FileRef): string | undefined;
  /**
   * Makes sure a finished job's files are here, in the background, once per process: for jobs
   * that finished while this sidecar was not listening (first start, state lost).
   */
  prefetch(jobId: string, outputs: Record<string, unknown>): void;
};

type Deps = {
  relay: RelayClient;
  outputDir: string;
  tempDir: string;
  state: StateStore;
  logger: Logger;
};

export function createOutputStore({ relay, outputDir, tempDir, state, logger }: Deps): OutputStore {
  const inFlight = new Map<string, Promise<string | undefined>>();
  const checked = new Set<string>();

  async function fetchOne(jobId: string, ref: FileRef): Promise<string | undefined> {
    const base = ref.type === 'temp' ? tempDir : outputDir;
    const key = outputKey(jobId, ref.type, ref.subfolder, ref.filename);
    const known = state.outputName(key);
    if (known) {
      const path = confinedPath(base, ref.subfolder, known);
      if (path && (await isPlacedFile(path))) return known;
    }
    const target = confinedPath(base, ref.subfolder, known ?? ref.filename);
    const folder = target && (await confinedFolder(base, relative(base, dirname(target))));
    if (!target || !folder) {
      logger.warn({ jobId, ref }, 'output path would leave the output folder; not fetched');
      return undefined;
    }
    const part = await pRetry(() => download(ref, folder), { retries: 3, minTimeout: 200 });
    try {
      const wanted = basename(target);
      const name = await linkUnderFreeName(part, folder, {
        first: wanted,
        next: async () => nextFreeName(wanted, await readdir(folder)),
        sameBytesIsPlaced: true,
      });
      state.setOutputName(key, name);
      return name;
    } finally {
      await dropPart(part);
    }
  }

  /** The file the relay serves under `ref`, as a part file in `folder`. */
  async function download(ref: FileRef, folder: string): Promise<string> {
    const response = await relay.view(ref);
    if (response.status !== 200) {
      response.body.resume(); // drained, so the keep-alive socket is reused
      throw new Error(
        `relay /api/view answered ${response.status} for ${ref.subfolder}/${ref.filename}`,
      );
    }
    return writePart(folder, await bodyBytes(response.body));
  }

  function ensure(jobId: string, ref: FileRef): Promise<string | undefined> {
    const key = outputKey(jobId, ref.type, ref.subfolder, ref.filename);
    let promise = inFlight.get(key);
    if (!promise) {
      promise = fetchOne(jobId, ref)
        .catch((error: unknown) => {
          logger.error({ err: error, jobId, ref }, 'could not fetch an output from the relay');
          return undefined;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
    }
    return promise;
  }

  return {
    async localize(jobId, output) {
      const refs = filesOf(output);
      if (refs.length === 0) return output;
      const names = await Promise.all(refs.map((ref) => ensure(jobId, ref)));
      const byRef = new Map(
        refs.map((ref, i) => [`${ref.type}|${ref.subfolder}|${ref.filename}`, names[i]]),
      );
      return renameOutput(output, (ref) =>
        byRef.get(`${ref.type}|${ref.subfolder}|${ref.filename}`),
      );
    },
    lookup(jobId, ref) {
      return state.outputName(outputKey(jobId, ref.type, ref.subfolder, ref.filename));
    },
    prefetch(jobId, outputs) {
      for (const output of Object.values(outputs)) {
        for (const ref of filesOf(output)) {
          const key = outputKey(jobId, ref.type, ref.subfolder, ref.filename);
          if (checked.has(key)) continue;
          checked.add(key);
          void ensure(jobId, ref);
        }
      }
    },
  };
}
