/**
 * @fileoverview The journal of one attempt of one job, as the GPU agent writes it
 * (gpu-agent/comfyume_agent/journal.py, same rules): records buffered, written as whole numbered
 * batch files; text never dropped; previews thinned to the newest per node per batch, a preview
 * over `maxPreviewBytes` dropped, and none once `previewBudgetBytes` were written — each drop
 * journaled as one `previews_thinned` record per batch.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { AGENT_FORMAT_VERSION, type PreviewRecord } from '../../../protocol/src/agent/journal';
import { batchFileName, journalPath } from '../../../protocol/src/agent/paths';

type Pending = Record<string, unknown> & { kind: string; at: number };
type PendingPreview = Pending & {
  kind: 'preview';
  meta: PreviewRecord['meta'];
  image: Uint8Array | string;
};

export type JournalLimits = { previewBudgetBytes: number; maxPreviewBytes: number };

export class JournalWriter {
  readonly folder: string;
  previewBytes = 0;
  previewsDropped = 0;
  closed = false;
  private pending: Pending[] = [];
  private ready: Pending[] = [];
  private seq = 0;
  private nextN = 0;
  private closeWritten = false;

  constructor(
    root: string,
    readonly jobId: string,
    readonly attempt: number,
    readonly replicaId: string,
    private readonly limits: JournalLimits,
    private readonly clock: () => number = Date.now,
  ) {
    this.folder = join(root, ...journalPath(jobId, attempt, replicaId).split('/'));
  }

  message(type: string, data: Record<string, unknown>): void {
    this.append({ kind: 'message', type, data });
  }

  preview(
    source: 1 | 4,
    mime: 'image/jpeg' | 'image/png',
    meta: PreviewRecord['meta'],
    image: Uint8Array,
  ): void {
    this.append({ kind: 'preview', source, mime, meta, image });
  }

  progressText(node: string, text: string): void {
    this.append({ kind: 'progress_text', node, text });
  }

  agent(event: string, outcome?: string, detail: Record<string, unknown> = {}): void {
    this.append({ kind: 'agent', event, ...(outcome ? { outcome } : {}), detail });
  }

  get hasPending(): boolean {
    return this.pending.length > 0 || this.ready.length > 0 || (this.closed && !this.closeWritten);
  }

  /** Journal the end of the attempt and write everything still buffered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flush();
  }

  /** Write the buffered records as the next batch file; returns how many were written. */
  flush(): number {
    const records = [...this.ready, ...this.bounded(this.pending)];
    this.pending = [];
    this.ready = [];
    if (this.closed && !this.closeWritten) {
      records.push({
        kind: 'agent',
        event: 'closed',
        detail: {
          records: this.nextN + records.length + 1,
          previews_dropped: this.previewsDropped,
        },
        at: this.clock(),
      });
      this.closeWritten = true;
    }
    if (records.length === 0) return 0;
    const batch = {
      v: AGENT_FORMAT_VERSION,
      job: this.jobId,
      attempt: this.attempt,
      replica: this.replicaId,
      seq: this.seq + 1,
      records: records.map((record, i) => {
        const { at, ...rest } = record;
        return { n: this.nextN + i, at, ...rest };
      }),
    };
    try {
      // Whole files only (temporary file, fsync, rename): a reader on another host never sees half a batch.
      mkdirSync(this.folder, { recursive: true });
      writeFileAtomic.sync(join(this.folder, batchFileName(this.seq + 1)), JSON.stringify(batch));
    } catch (error) {
      // The volume is away: keep the records for the next flush (numbering resumes where it was).
      const last = records[records.length - 1];
      if (last?.kind === 'agent' && last.event === 'closed') {
        records.pop();
        this.closeWritten = false;
      }
      this.ready = records;
      throw error;
    }
    this.seq += 1;
    this.nextN += records.length;
    return records.length;
  }

  private append(record: Omit<Pending, 'at'>): void {
    if (!this.closed) this.pending.push({ ...record, at: this.clock() } as Pending);
  }

  private bounded(records: Pending[]): Pending[] {
    const newest = new Map<string, number>();
    records.forEach((record, index) => {
      if (record.kind === 'preview') newest.set((record as PendingPreview).meta.node_id, index);
    });
    const kept: Pending[] = [];
    let dropped = 0;
    records.forEach((record, index) => {
      if (record.kind !== 'preview') return void kept.push(record);
      const preview = record as PendingPreview;
      const size =
        typeof preview.image === 'string'
          ? Math.floor((preview.image.length * 3) / 4)
          : preview.image.length;
      const over =
        size > this.limits.maxPreviewBytes ||
        this.previewBytes + size > this.limits.previewBudgetBytes;
      if (newest.get(preview.meta.node_id) !== index || over) {
        dropped++;
        return;
      }
      this.previewBytes += size;
      const image =
        typeof preview.image === 'string'
          ? preview.image
          : Buffer.from(preview.image).toString('base64');
      kept.push({ ...preview, image });
    });
    if (dropped) {
      this.previewsDropped += dropped;
      kept.push({
        kind: 'agent',
        event: 'previews_thinned',
        detail: { dropped, dropped_total: this.previewsDropped, preview_bytes: this.previewBytes },
        at: this.clock(),
      });
    }
    return kept;
  }
}
