/**
 * @fileoverview Atomic placement of a delivered file, for the relay's store and the sidecar's local
 * folders alike: the bytes go to a hidden part file in the target folder first, then link() gives
 * them their name. link() fails instead of overwriting, also across processes, so a name some other
 * writer (another job, a ComfyUI saver) took at the same moment is never clobbered, and a reader
 * never sees half a file. A name already taken is judged by its bytes, never through a symlink.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, link, lstat, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PART = '.part-comfyume-';

/** A part file: never served, never counted as an output. */
export const isPartName = (name: string): boolean => name.startsWith('.part-');

/** Writes the bytes (or a copy of the file at `copyOf`) to a new part file in `dir`; answers its path. */
export async function writePart(
  dir: string,
  bytes: Uint8Array | { copyOf: string },
): Promise<string> {
  const part = join(dir, `${PART}${randomUUID()}`);
  if ('copyOf' in bytes) await copyFile(bytes.copyOf, part);
  else await writeFile(part, bytes);
  return part;
}

/** Removes a part file, if it is still there. */
export async function dropPart(part: string): Promise<void> {
  await unlink(part).catch(() => undefined);
}

/** A regular file (not a symlink, not a folder) at `path`. */
export async function isPlacedFile(path: string): Promise<boolean> {
  return lstat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** Whether `placed` is a regular file holding the same bytes as `part` (outputs are images and short videos: read whole). */
export async function holdsSameBytes(part: string, placed: string): Promise<boolean> {
  const [a, b] = await Promise.all([lstat(part), lstat(placed)]).catch(() => []);
  if (!a || !b?.isFile() || a.size !== b.size) return false;
  const [x, y] = await Promise.all([readFile(part), readFile(placed)]);
  return x.equals(y);
}

/** Gives the part file the name `target` unless something has it: false then, and nothing is overwritten. */
export async function linkNew(part: string, target: string): Promise<boolean> {
  try {
    await link(part, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Moves the part file to `target`, a name already chosen and known to be free (a resumed placement). */
export async function renamePart(part: string, target: string): Promise<void> {
  await rename(part, target);
}

/**
 * Links the part file in `dir` under the first free name, starting at `first` and asking `next`
 * after each taken one; answers the name. `beforeLink` runs with a name about to be linked (the
 * relay records it first, for exactly-once across restarts). With `sameBytesIsPlaced`, a taken name
 * whose file holds the part's bytes is the placement (a copy placed earlier by the same store).
 */
export async function linkUnderFreeName(
  part: string,
  dir: string,
  options: {
    first: string;
    next: (taken: string) => string | Promise<string>;
    beforeLink?: (name: string) => Promise<void>;
    sameBytesIsPlaced?: boolean;
  },
): Promise<string> {
  let name = options.first;
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const target = join(dir, name);
    if (
      !(await lstat(target).then(
        () => true,
        () => false,
      ))
    ) {
      await options.beforeLink?.(name);
      if (await linkNew(part, target)) return name;
    }
    if (options.sameBytesIsPlaced && (await holdsSameBytes(part, target))) return name;
    name = await options.next(name);
  }
  throw new Error(`no free name for ${options.first} in ${dir}`);
}
