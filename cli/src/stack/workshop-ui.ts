/**
 * @fileoverview The page attendees see when `comfyume up` runs without real ComfyUIs: the
 * simulator has no frontend, so it serves workshop-page/ (a minimal ComfyUI-like page with a
 * litegraph canvas, a Run button and ComfyUI's extension surface) and our built custom node, so a
 * rehearsal in the browser shows the real banner, job tracker, progress and images. Built with
 * Vite into the data folder; both builds are skipped when their output is already there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../paths';

export async function prepareWorkshopUi(
  dataDir: string,
  log: (message: string) => void,
): Promise<string> {
  const { build } = await import('vite');
  if (!existsSync(repoPath('dist', 'comfyume-extension', 'web'))) {
    log('building the ComfyuME extension (vite build)');
    // root: relative paths in vite.config.ts are the checkout's, whatever folder up runs from.
    await build({ configFile: repoPath('vite.config.ts'), root: repoPath(), logLevel: 'warn' });
  }
  const webRoot = join(dataDir, 'web');
  if (!existsSync(join(webRoot, 'index.html'))) {
    log('building the workshop page for the simulated ComfyUIs');
    const { buildHarnessWebRoot } = await import('../../../workshop-page/server');
    await buildHarnessWebRoot(webRoot);
  }
  return webRoot;
}
