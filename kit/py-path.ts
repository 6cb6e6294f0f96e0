/**
 * @fileoverview Python `os.path` semantics (normpath, dirname, basename, commonpath) on POSIX paths,
 * as ComfyUI applies them to save prefixes (the simulator saves with them; the sidecar predicts
 * the failures they cause). Node only: abspath reads the process's cwd.
 */
import path from 'node:path';

/** `os.path.normpath`: like path.posix.normalize but without a trailing slash ('' → '.'). */
export function normpath(p: string): string {
  if (p === '') return '.';
  const out = path.posix.normalize(p);
  return out.length > 1 && out.endsWith('/') ? out.slice(0, -1) : out;
}

/** `os.path.dirname`: '' (not '.') when there is no directory part. */
export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '';
  const head = p.slice(0, i + 1);
  return /^\/+$/.test(head) ? head : head.replace(/\/+$/, '');
}

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** `os.path.abspath` relative to the process cwd. */
export function abspath(p: string): string {
  return normpath(path.posix.isAbsolute(p) ? p : path.posix.join(process.cwd(), p));
}

/** `os.path.commonpath` for absolute paths. */
export function commonpath(paths: string[]): string {
  const split = paths.map((p) =>
    normpath(p)
      .split('/')
      .filter((part) => part !== ''),
  );
  const first = split[0] ?? [];
  const common: string[] = [];
  for (let i = 0; i < first.length; i++) {
    if (split.every((parts) => parts[i] === first[i])) common.push(first[i] as string);
    else break;
  }
  return '/' + common.join('/');
}

/** `os.path.join` (a later absolute part replaces everything before it). */
export function join(...parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (part.startsWith('/')) out = part;
    else if (out === '' || out.endsWith('/')) out += part;
    else out += '/' + part;
  }
  return out;
}
