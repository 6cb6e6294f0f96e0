/**
 * @fileoverview ComfyUI's own reading of a save prefix (folder_paths.get_save_image_path), to the
 * byte: the escape check with its exact error text, and the counter over existing files with
 * Python's parsing. The simulator saves with it; the sidecar predicts the escape failure with it,
 * worded as the attendee's ComfyUI words it. Delivered files are named by comfy-names.ts instead.
 */
import { abspath, commonpath, dirname, join, normpath } from '../py-path';

/** ComfyUI's escape check and message, or undefined when the prefix stays in `outputDir`. */
export function saveEscapeMessage(prefix: string, outputDir: string): string | undefined {
  const subfolder = dirname(normpath(prefix));
  const full = abspath(join(outputDir, subfolder));
  const common = commonpath([outputDir, full]);
  if (common === outputDir) return undefined;
  return (
    '**** ERROR: Saving image outside the output folder is not allowed.' +
    `\n full_output_folder: ${full}\n         output_dir: ${outputDir}\n         commonpath: ${common}`
  );
}

/** Python `int(text)` for the digits after `<name>_` (whitespace, sign and underscores allowed). */
function pyInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  return Number.parseInt(t.replaceAll('_', ''), 10);
}

/**
 * ComfyUI's next counter in a folder for `filename` (1 + max N over `<filename>_<N>...`, any
 * extension, case-sensitive); `prefixBase` is the basename of the substituted prefix, whose length
 * ComfyUI measures.
 */
export function comfyNextCounter(entries: string[], filename: string, prefixBase: string): number {
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
