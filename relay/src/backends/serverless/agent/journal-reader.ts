/**
 * @fileoverview Reads the journal of one attempt of one job from the shared volume, batch after
 * batch in order, and hands over only records that are well formed and about this job.
 *
 * The agent renames whole batch files into place, so a file that exists is complete. Anything
 * else is refused with one log line and never forwarded: a batch too big to be ours, one that does
 * not parse or names another job, attempt or replica, a malformed record, a message or preview for
 * another prompt (another user's job), a preview larger than a preview can be. A gap in the batch
 * numbers (NFS showing a later file first) is waited for, then skipped with a log line.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  firstZodProblem,
  JournalBatch,
  JournalRecord,
  batchSeq,
  jobAgentPath,
  journalDirName,
  parseJournalDir,
  type JournalRecord as Record_,
} from '../../../../../protocol/src/index';

export type ReaderLimits = {
  /** A batch file larger than this is refused whole (default 64 MiB). */
  maxBatchBytes: number;
  /** A preview whose image is larger than this is refused (default 4 MiB). */
  maxPreviewBytes: number;
  /** How long a missing batch number is waited for before the reader moves past it (default 3 s). */
  gapMs: number;
};

export const DEFAULT_READER_LIMITS: ReaderLimits = {
  maxBatchBytes: 64 << 20,
  maxPreviewBytes: 4 << 20,
  gapMs: 3000,
};

export class JournalReader {
  /** The replica whose journal this is, once one was found. */
  replica: string | undefined;
  private readonly agentDir: string;
  private nextSeq = 1;
  private nextN = 0;
  private gapSince = 0;
  private readonly warned = new Set<string>();

  constructor(
    outputDir: string,
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly logger: Logger,
    private readonly limits: ReaderLimits = DEFAULT_READER_LIMITS,
  ) {
    this.agentDir = join(outputDir, ...jobAgentPath(jobId).split('/'));
  }

  /** Whether a journal of this attempt exists (the agent claimed the job). */
  get found(): boolean {
    return this.replica !== undefined;
  }

  /** Look for this attempt's journal (the agent writes it when the prompt enters its queue). */
  async locate(): Promise<boolean> {
    return this.found || this.findJournal();
  }

  /** Every new, valid record since the last call, in order. Never throws on bad files. */
  async read(): Promise<Record_[]> {
    if (!this.replica && !(await this.findJournal())) return [];
    const dir = join(this.agentDir, journalDirName(this.attempt, this.replica as string));
    const names = await readdir(dir).catch(() => [] as string[]);
    const seqs = names.flatMap((name) => {
      const seq = batchSeq(name);
      return seq !== undefined && seq >= this.nextSeq ? [seq] : [];
    });
    seqs.sort((a, b) => a - b);
    const records: Record_[] = [];
    for (const seq of seqs) {
      if (seq > this.nextSeq) {
        // The next batch is not visible yet while a later one is: wait a little, then go past it.
        this.gapSince ||= Date.now();
        if (Date.now() - this.gapSince < this.limits.gapMs) break;
        this.warn(
          `gap:${this.nextSeq}`,
          { missing: this.nextSeq, next: seq },
          'journal batch missing; continuing after it',
        );
      }
      this.gapSince = 0;
      this.nextSeq = seq + 1;
      records.push(
        ...(await this.readBatch(join(dir, `${String(seq).padStart(8, '0')}.json`), seq)),
      );
    }
    return records;
  }

  private async findJournal(): Promise<boolean> {
    const names = await readdir(this.agentDir).catch(() => [] as string[]);
    const mine = names.flatMap((name) => {
      const parsed = parseJournalDir(name);
      return parsed && parsed.attempt === this.attempt ? [parsed.replica] : [];
    });
    if (mine.length === 0) return false;
    mine.sort();
    this.replica = mine[0];
    if (mine.length > 1)
      this.warn(
        'replicas',
        { replicas: mine, following: this.replica },
        'two replicas journal the same attempt; following one',
      );
    return true;
  }

  private async readBatch(path: string, seq: number): Promise<Record_[]> {
    const size = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (size > this.limits.maxBatchBytes) {
      this.warn(`size:${seq}`, { seq, bytes: size }, 'journal batch too large; ignored');
      return [];
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      this.warn(`json:${seq}`, { seq }, 'journal batch is not JSON; ignored');
      return [];
    }
    const batch = JournalBatch.safeParse(raw);
    const issue = !batch.success
      ? firstZodProblem(batch.error)
      : batch.data.job !== this.jobId ||
          batch.data.attempt !== this.attempt ||
          batch.data.replica !== this.replica ||
          batch.data.seq !== seq
        ? `it names job ${batch.data.job} attempt ${batch.data.attempt} replica ${batch.data.replica} seq ${batch.data.seq}`
        : '';
    if (!batch.success || issue) {
      this.warn(`batch:${seq}`, { seq, issue }, 'journal batch refused; ignored');
      return [];
    }
    const out: Record_[] = [];
    for (const item of batch.data.records) {
      const record = this.accept(item, seq);
      if (record) out.push(record);
    }
    return out;
  }

  private accept(item: unknown, seq: number): Record_ | undefined {
    const loose = (item ?? {}) as { n?: unknown; kind?: unknown; image?: unknown };
    const n = loose.n;
    if (typeof n === 'number' && n < this.nextN) return undefined; // already handed over
    const refuse = (issue: string) => {
      if (typeof n === 'number' && n >= this.nextN) this.nextN = n + 1;
      this.warn(
        `record:${seq}:${String(n)}`,
        { seq, n, issue },
        'journal record refused; not forwarded',
      );
      return undefined;
    };
    // Size first: a huge preview is refused before anything reads its bytes.
    const imageBytes =
      typeof loose.image === 'string' ? Math.floor((loose.image.length * 3) / 4) : 0;
    if (loose.kind === 'preview' && imageBytes > this.limits.maxPreviewBytes)
      return refuse(`a preview of ${imageBytes} bytes`);
    const parsed = JournalRecord.safeParse(item);
    if (!parsed.success) return refuse(firstZodProblem(parsed.error));
    const record = parsed.data;
    this.nextN = record.n + 1;
    if (record.kind === 'message' && record.data.prompt_id !== this.jobId)
      return refuse(`a ${record.type} message for prompt ${String(record.data.prompt_id)}`);
    if (record.kind === 'preview' && record.meta.prompt_id !== this.jobId)
      return refuse(`a preview for prompt ${record.meta.prompt_id}`);
    return record;
  }

  private warn(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(
      { jobId: this.jobId, attempt: this.attempt, replica: this.replica, ...fields },
      message,
    );
  }
}
