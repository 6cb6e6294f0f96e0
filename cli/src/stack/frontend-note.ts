/**
 * @fileoverview What `comfyume up` tells the organiser about the pages the simulated attendee
 * ComfyUIs serve: the ComfyuME harness (a minimal stand-in) or the frontend build given with
 * `--web-root` (its version when the build says it), so nobody rehearses on one believing it is
 * the other.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ServedFrontend = { kind: 'harness' } | { kind: 'build'; dir: string; version?: string };

/**
 * The frontend version a ComfyUI frontend build carries: its bundle defines
 * `app_version: "<version>"` (from `__COMFYUI_FRONTEND_VERSION__`). Undefined when not found.
 */
export async function sniffFrontendVersion(webRoot: string): Promise<string | undefined> {
  const assets = join(webRoot, 'assets');
  const files = (await readdir(assets).catch(() => [] as string[])).filter((f) =>
    f.endsWith('.js'),
  );
  for (const file of files) {
    const text = await readFile(join(assets, file), 'utf8').catch(() => '');
    const match = /app_version:\s*"(\d+\.\d+\.\d+[^"]*)"/.exec(text);
    if (match) return match[1];
  }
  return undefined;
}

/** The lines `up` prints about the simulated attendees' pages (none when every attendee is real). */
export function frontendNote(
  simulatedAttendees: number,
  served: ServedFrontend,
  extensionBuilt: boolean,
): string[] {
  if (simulatedAttendees === 0) return [];
  const queueHint = [
    '  Queue from a terminal with',
    '    node bin/comfyume.js submit <workflow.json> --user user001',
  ];
  if (served.kind === 'harness') {
    return [
      '',
      '  The attendee ComfyUIs here are simulated: each page is the ComfyuME harness, a minimal ComfyUI',
      '  (canvas, Run, the ComfyuME banner and job tracker) that behaves like frontend 1.45, not the stock',
      '  frontend. Give a ComfyUI frontend build with --web-root <dir> (the static folder of',
      '  comfyui-frontend-package) or real ComfyUIs with --comfyui http://127.0.0.1:8188,... for the full UI.',
      ...queueHint,
    ];
  }
  const which = served.version
    ? `ComfyUI frontend ${served.version}`
    : 'the ComfyUI frontend build';
  return [
    '',
    `  The attendee ComfyUIs here are simulated: each page is ${which} from ${served.dir},`,
    `  served by the simulator${extensionBuilt ? ' with the ComfyuME extension' : ' without the ComfyuME extension (build it: npx vite build)'};`,
    '  jobs run on the GPU above, and node definitions come from the simulator.',
    ...queueHint,
  ];
}
