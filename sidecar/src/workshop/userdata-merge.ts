/**
 * @fileoverview Pure parts of the attendee's userdata API with the workshop in it: which names may
 * be asked for at all (one URL-encoded path inside the attendee's folder: no `..`, no backslash, no
 * escape left after decoding), and the Workflows listings of ComfyUI's `app/user_manager.py`
 * (`/userdata?dir=workflows` with `recurse`/`full_info`/`split`; `/v2/userdata?path=`) with the
 * workshop's workflows added. The attendee's own file shadows a workshop workflow of the same name:
 * once they saved their copy, that copy is what they open.
 */
import { WORKFLOWS_DIR, type WorkshopWorkflowInfo } from '../../../protocol/src/relay/workshop';

/** Why `path` (already URL-decoded once) cannot name a userdata file or folder, or undefined. */
export function userdataPathProblem(path: string): string | undefined {
  if (/%[0-9A-Fa-f]{2}/.test(path))
    return 'the name still holds a URL escape after decoding (encode the path once)';
  if (path.includes('\\') || path.includes('\0')) return 'the name holds a backslash or NUL';
  if (path.startsWith('/')) return 'the name is an absolute path';
  if (path.split('/').some((segment) => segment === '..' || segment === '.'))
    return 'the name holds a "." or ".." segment';
  return undefined;
}

/** `workflows`, `workflows/`, `./workflows` … → whether a listing is of the Workflows folder. */
export const isWorkflowsDir = (dir: string): boolean => dir.replace(/\/+$/, '') === WORKFLOWS_DIR;

/** The workshop workflow a userdata file names (`workflows/<name>`), or undefined. */
export function workshopName(file: string): string | undefined {
  const prefix = `${WORKFLOWS_DIR}/`;
  if (!file.startsWith(prefix)) return undefined;
  const name = file.slice(prefix.length);
  return name && !name.includes('/') ? name : undefined;
}

export type ListingFlags = { fullInfo: boolean; split: boolean };

/** What `/userdata?dir=workflows` answers for one file, in the form the flags ask for. */
function listingEntry(info: WorkshopWorkflowInfo, flags: ListingFlags): unknown {
  if (flags.fullInfo)
    return { path: info.name, size: info.size, modified: info.modified, created: info.modified };
  return flags.split ? [info.name, info.name] : info.name;
}

const entryPath = (entry: unknown): string | undefined =>
  typeof entry === 'string'
    ? entry
    : Array.isArray(entry)
      ? (entry[0] as string | undefined)
      : typeof entry === 'object' && entry !== null
        ? ((entry as { path?: string }).path ?? undefined)
        : undefined;

/** The attendee's own listing (undefined: they have no Workflows folder yet) plus the workshop's. */
export function mergeListing(
  local: unknown[] | undefined,
  workshop: readonly WorkshopWorkflowInfo[],
  flags: ListingFlags,
): unknown[] {
  const own = local ?? [];
  const taken = new Set(own.map(entryPath));
  return [...own, ...workshop.filter((w) => !taken.has(w.name)).map((w) => listingEntry(w, flags))];
}

type V2Entry = {
  name: string;
  path: string;
  type: 'file' | 'directory';
  size?: number;
  modified?: number;
};

/**
 * `/v2/userdata?path=` (root or the Workflows folder): the attendee's entries plus the workshop's
 * files (and the folder itself at the root when the attendee has none), sorted as ComfyUI sorts
 * (folders first, then by lower-cased name).
 */
export function mergeListingV2(
  local: unknown[] | undefined,
  workshop: readonly WorkshopWorkflowInfo[],
  atRoot: boolean,
): unknown[] {
  const own = (local ?? []) as V2Entry[];
  const taken = new Set(own.map((e) => e.path));
  const added: V2Entry[] = workshop
    .map((w) => ({
      name: w.name,
      path: `${WORKFLOWS_DIR}/${w.name}`,
      type: 'file' as const,
      size: w.size,
      modified: w.modified / 1000,
    }))
    .filter((e) => !taken.has(e.path));
  if (atRoot && added.length && !taken.has(WORKFLOWS_DIR))
    added.push({ name: WORKFLOWS_DIR, path: WORKFLOWS_DIR, type: 'directory' });
  return [...own, ...added].sort(
    (a, b) =>
      Number(a.type !== 'directory') - Number(b.type !== 'directory') ||
      byCodePoint(a.name.toLowerCase(), b.name.toLowerCase()),
  );
}

/** Python's string order (code points), not the locale's. */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
