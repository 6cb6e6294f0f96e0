/**
 * @fileoverview Keeping a file name inside its folder, for every place that turns a name someone sent
 * (a save prefix, a /view query, an input name) into a path: first lexically (no `..`, no absolute
 * part, no separator in a file name), then by real path, so a symlink inside the folder that points
 * out of it counts as no file. ComfyUI refuses the same escapes; our refusals say which part leaves.
 */
import { realpathSync, statSync } from 'node:fs';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, normalize, posix, resolve, sep } from 'node:path';

/** A name that would leave its folder; `code` matches the relay's error code for it. */
export class PathEscape extends Error {
  readonly code = 'path_escape';
}

/** A relative subfolder, normalised ('' for the top level); throws PathEscape when it would leave its base. */
export function subfolderOf(raw: string): string {
  const slashed = raw.replaceAll('\\', '/');
  if (slashed.includes('\0') || slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed))
    throw new PathEscape(`subfolder "${raw}" must be a relative folder such as "renders"`);
  const normal = posix.normalize(slashed || '.').replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../'))
    throw new PathEscape(`subfolder "${raw}" would leave the output folder`);
  return normal === '.' ? '' : normal;
}

/** `base/subfolder/filename` if it stays inside base by its name alone, else undefined. */
export function confinedPath(
  base: string,
  subfolder: string,
  filename: string,
): string | undefined {
  if (!filename || filename.includes('/') || filename.includes('\\') || filename.includes('\0'))
    return undefined;
  if (filename === '.' || filename === '..') return undefined;
  if (
    subfolder.includes('\0') ||
    isAbsolute(subfolder) ||
    normalize(subfolder).split(/[\\/]/).includes('..')
  ) {
    return undefined;
  }
  const root = resolve(base);
  const full = resolve(root, subfolder, filename);
  return full.startsWith(root + sep) ? full : undefined;
}

const inside = (real: string, root: string) => real === root || real.startsWith(root + sep);

/**
 * `sub/cat.png` in `base` → the real path of that file, only if it is a file that really lies inside
 * `base`. The lexical check refuses `../`; resolving symlinks (realpath) refuses a link in the folder
 * that points outside it, which stat alone would follow. `anyEntry`: any existing entry counts
 * (ComfyUI's os.path.exists for `[output]`/`[temp]` names).
 */
export function confinedFile(
  base: string,
  name: string,
  options: { anyEntry?: boolean } = {},
): string | undefined {
  const path = confinedPath(base, dirname(name) === '.' ? '' : dirname(name), basename(name));
  if (!path) return undefined;
  try {
    const real = realpathSync(path);
    if (!real.startsWith(realpathSync(base) + sep)) return undefined;
    return options.anyEntry || statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `path` (which exists) really lies in `base`, symlinks resolved; false when either is missing. */
export async function reallyInside(base: string, path: string): Promise<boolean> {
  try {
    return inside(await realpath(path), await realpath(base));
  } catch {
    return false;
  }
}

/**
 * Makes `base/subfolder` (a lexically confined subfolder) and answers its path, or undefined when
 * an existing part of it is a symlink leading out of `base`: checked before creating anything, so
 * no folder is made outside, and again after.
 */
export async function confinedFolder(base: string, subfolder: string): Promise<string | undefined> {
  const folder = resolve(base, subfolder);
  await mkdir(base, { recursive: true });
  let existing = folder;
  while (
    !(await lstat(existing).then(
      () => true,
      () => false,
    ))
  )
    existing = dirname(existing);
  if (!(await reallyInside(base, existing))) return undefined;
  await mkdir(folder, { recursive: true });
  return (await reallyInside(base, folder)) ? folder : undefined;
}
