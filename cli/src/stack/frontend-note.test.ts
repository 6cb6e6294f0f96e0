/** What `up` says about the attendees' pages: the harness, or the frontend build given with --web-root (and its version). */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frontendNote, sniffFrontendVersion } from './frontend-note';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function webRoot(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'comfyume-webroot-'));
  dirs.push(dir);
  await mkdir(join(dir, 'assets'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('frontendNote', () => {
  it('says the harness is a minimal stand-in, not the stock frontend', () => {
    const text = frontendNote(3, { kind: 'harness' }, true).join('\n');
    expect(text).toContain('the ComfyuME harness, a minimal ComfyUI');
    expect(text).toContain('not the stock');
    expect(text).toContain('--web-root');
  });

  it('names the frontend build given with --web-root and its version, never "minimal"', () => {
    const text = frontendNote(
      2,
      { kind: 'build', dir: '/srv/fe/dist', version: '1.35.9' },
      true,
    ).join('\n');
    expect(text).toContain('each page is ComfyUI frontend 1.35.9 from /srv/fe/dist');
    expect(text).toContain('with the ComfyuME extension');
    expect(text).not.toMatch(/minimal|not the stock/);
    const unknown = frontendNote(1, { kind: 'build', dir: '/x' }, false).join('\n');
    expect(unknown).toContain('each page is the ComfyUI frontend build from /x');
    expect(unknown).toContain('without the ComfyuME extension (build it: npx vite build)');
  });

  it('says nothing when every attendee has a real ComfyUI', () => {
    expect(frontendNote(0, { kind: 'harness' }, true)).toEqual([]);
  });
});

describe('sniffFrontendVersion', () => {
  it('reads the version a frontend bundle defines, and gives up quietly elsewhere', async () => {
    const real = await webRoot({
      'index.html': '<div id="vue-app">',
      'assets/vendor-a.js': 'x=1',
      'assets/index-b.js': 'const c={app_version: "1.45.0",x:1}',
    });
    expect(await sniffFrontendVersion(real)).toBe('1.45.0');
    expect(await sniffFrontendVersion(await webRoot({ 'index.html': '<html>' }))).toBeUndefined();
    expect(await sniffFrontendVersion('/nonexistent/web/root')).toBeUndefined();
  });
});
