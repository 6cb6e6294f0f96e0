/**
 * @fileoverview The gallery wall's data: attendees' newest image outputs, read from finished job
 * records (newest first) and served from each user's output store (confined by
 * OutputStore.resolve: kit/output-files/confine.ts), minus the users who opted out and, unless
 * asked, the items the operator hid. An item is one stored file: a cached rerun that names the
 * same file again is the same item, so hiding it once hides it everywhere.
 */
import type { GalleryItem, GalleryList } from '../../../protocol/src/relay/gallery';
import { RelayError } from '../errors';
import type { JobStore } from '../jobs/job-store';
import type { OutputStore } from '../outputs/output-store';

/** Where the hide and opt-out flags live (Redis in the relay, a Map in tests). */
export interface GalleryFlags {
  hidden(): Promise<Set<string>>;
  setHidden(id: string, hidden: boolean): Promise<void>;
  optedOut(): Promise<Set<string>>;
  isOptedOut(userId: string): Promise<boolean>;
  setOptOut(userId: string, optOut: boolean): Promise<void>;
}

type FileRef = { userId: string; type: 'output' | 'temp'; subfolder: string; filename: string };

const IMAGE = /\.(png|jpe?g|webp|gif|apng)$/i;
/** Finished jobs looked at per listing: enough for a wall, bounded for a busy workshop. */
const JOBS_SCANNED = 300;

export const itemId = (f: FileRef): string =>
  Buffer.from(JSON.stringify([f.userId, f.type, f.subfolder, f.filename])).toString('base64url');

function fileOf(id: string): FileRef {
  try {
    const [userId, type, subfolder, filename] = JSON.parse(
      Buffer.from(id, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      typeof userId === 'string' &&
      (type === 'output' || type === 'temp') &&
      typeof subfolder === 'string' &&
      typeof filename === 'string'
    )
      return { userId, type, subfolder, filename };
  } catch {
    // falls through to the refusal
  }
  throw new RelayError('bad_request', `"${id.slice(0, 80)}" is not a gallery item id`);
}

/** The image files a job's outputs name, in node order. */
function imagesOf(outputs: Record<string, Record<string, unknown[]>>, userId: string): FileRef[] {
  const files: FileRef[] = [];
  for (const output of Object.values(outputs))
    for (const list of Object.values(output))
      for (const raw of list) {
        const item = raw as Partial<FileRef> | null;
        if (!item || typeof item.filename !== 'string' || !IMAGE.test(item.filename)) continue;
        const type = item.type === 'temp' ? 'temp' : item.type === 'output' ? 'output' : undefined;
        if (!type) continue;
        files.push({ userId, type, filename: item.filename, subfolder: item.subfolder ?? '' });
      }
  return files;
}

export class Gallery {
  constructor(
    private readonly deps: {
      store: Pick<JobStore, 'list'>;
      outputs: Pick<OutputStore, 'resolve'>;
      flags: GalleryFlags;
    },
  ) {}

  async list(options: { limit: number; includeHidden: boolean }): Promise<GalleryList> {
    const [{ jobs }, hidden, optedOut] = await Promise.all([
      this.deps.store.list({ states: ['done'], limit: JOBS_SCANNED, offset: 0 }),
      this.deps.flags.hidden(),
      this.deps.flags.optedOut(),
    ]);
    const seen = new Set<string>();
    const items: GalleryItem[] = [];
    const newest = [...jobs].sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
    for (const job of newest) {
      if (optedOut.has(job.userId)) continue;
      for (const file of imagesOf(job.outputs, job.userId)) {
        const id = itemId(file);
        if (seen.has(id)) continue;
        seen.add(id);
        const isHidden = hidden.has(id);
        if (isHidden && !options.includeHidden) continue;
        items.push({
          id,
          jobId: job.id,
          finishedAt: job.finishedAt ?? job.createdAt,
          ...file,
          hidden: isHidden,
        });
        if (items.length >= options.limit) return { items, optedOut: optedOut.size };
      }
    }
    return { items, optedOut: optedOut.size };
  }

  /** The operator hides (or shows again) one item; answers it as listed. */
  async setHidden(id: string, hidden: boolean): Promise<{ id: string; hidden: boolean }> {
    fileOf(id); // a well-formed id, or 400
    await this.deps.flags.setHidden(id, hidden);
    return { id, hidden };
  }

  /** The item's file, from its user's store; an opted-out user's files are not the wall's (404). */
  async imageFile(id: string): Promise<string> {
    const file = fileOf(id);
    if (await this.deps.flags.isOptedOut(file.userId))
      throw new RelayError('not_found', 'that attendee keeps their outputs off the gallery');
    return this.deps.outputs.resolve(file.userId, file);
  }

  optOut(userId: string): Promise<boolean> {
    return this.deps.flags.isOptedOut(userId);
  }

  setOptOut(userId: string, optOut: boolean): Promise<void> {
    return this.deps.flags.setOptOut(userId, optOut);
  }
}
