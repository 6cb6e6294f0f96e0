/**
 * @fileoverview ComfyUI's `folder_paths.get_save_image_path`: prefix substitutions and subfolder split
 * here; the escape check with its exact error text and the `<name>_<NNNNN>_` counter over existing
 * files are kit/output-files/comfy-save-path.ts (the sidecar predicts the same escape).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { comfyNextCounter, saveEscapeMessage } from '../../../kit/output-files/comfy-save-path';
import { basename, dirname, join, normpath } from '../../../kit/py-path';

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
  const escape = saveEscapeMessage(filenamePrefix, outputDir);
  if (escape) throw new PyException(escape);
  let counter: number;
  try {
    // ComfyUI measures the prefix length on the basename of the *substituted* prefix.
    counter = comfyNextCounter(readdirSync(fullOutputFolder), filename, basename(filenamePrefix));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(fullOutputFolder, { recursive: true });
    counter = 1;
  }
  return { fullOutputFolder, filename, counter, subfolder, filenamePrefix };
}
