/**
 * @fileoverview ComfyUI's `folder_paths.get_save_image_path`: prefix substitutions, subfolder split,
 * the escape check with its exact error text, and the `<name>_<NNNNN>_` counter over existing files.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { abspath, basename, commonpath, dirname, join, normpath } from '../../../kit/py-path';

export type SavePath = {
  fullOutputFolder: string;
  filename: string;
  counter: number;
  subfolder: string;
  filenamePrefix: string;
};

/** Raised with ComfyUI's message so the execution_error payload matches (`exception_type: "Exception"`). */
export class PyException extends Error {
  constructor(
    message: string,
    readonly pyType = 'Exception',
  ) {
    super(message);
    this.name = pyType;
  }
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Server-side substitutions (`%width%`, `%height%`, `%year%` ... `%second%`, local time). */
export function computeVars(
  input: string,
  width: number,
  height: number,
  now = new Date(),
): string {
  return input
    .replaceAll('%width%', String(width))
    .replaceAll('%height%', String(height))
    .replaceAll('%year%', String(now.getFullYear()))
    .replaceAll('%month%', pad2(now.getMonth() + 1))
    .replaceAll('%day%', pad2(now.getDate()))
    .replaceAll('%hour%', pad2(now.getHours()))
    .replaceAll('%minute%', pad2(now.getMinutes()))
    .replaceAll('%second%', pad2(now.getSeconds()));
}

/** Python `int(text)` for the digits after `<name>_` (whitespace, sign and underscores allowed). */
function pyInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  return Number.parseInt(t.replaceAll('_', ''), 10);
}

/** The next counter in `folder` for `filename` (1 + max N over `<filename>_<N>...`, any extension). */
export function nextCounter(entries: string[], filename: string, prefixBase: string): number {
  const prefixLen = prefixBase.length;
  let best: [number, string] | undefined;
  for (const entry of entries) {
    const prefix = entry.slice(0, prefixLen + 1);
    const digits = pyInt(entry.slice(prefixLen + 1).split('_')[0] ?? '') ?? 0;
    if (prefix.slice(0, -1) !== filename || prefix.slice(-1) !== '_') continue;
    // Python's max() over (digits, prefix) tuples: digits decide, prefix breaks ties.
    if (!best || digits > best[0] || (digits === best[0] && prefix > best[1]))
      best = [digits, prefix];
  }
  return best ? best[0] + 1 : 1;
}

export function getSaveImagePath(
  prefix: string,
  outputDir: string,
  width = 0,
  height = 0,
): SavePath {
  let filenamePrefix = prefix;
  if (filenamePrefix.includes('%')) filenamePrefix = computeVars(filenamePrefix, width, height);
  const subfolder = dirname(normpath(filenamePrefix));
  const filename = basename(normpath(filenamePrefix));
  const fullOutputFolder = join(outputDir, subfolder);
  const common = commonpath([outputDir, abspath(fullOutputFolder)]);
  if (common !== outputDir) {
    throw new PyException(
      '**** ERROR: Saving image outside the output folder is not allowed.' +
        `\n full_output_folder: ${abspath(fullOutputFolder)}` +
        `\n         output_dir: ${outputDir}` +
        `\n         commonpath: ${common}`,
    );
  }
  let counter: number;
  try {
    // ComfyUI measures the prefix length on the basename of the *substituted* prefix.
    counter = nextCounter(readdirSync(fullOutputFolder), filename, basename(filenamePrefix));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(fullOutputFolder, { recursive: true });
    counter = 1;
  }
  return { fullOutputFolder, filename, counter, subfolder, filenamePrefix };
}
