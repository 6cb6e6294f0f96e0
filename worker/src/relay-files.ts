/**
 * @fileoverview The worker's file transfers with the relay, over HTTP beside the socket: a job's
 * input files (downloaded to a local folder, then placed on its ComfyUI) and its output files
 * (uploaded before the `executed` that names them). An upload is resumable and checksummed: it
 * sends the whole file's size and sha256, asks the relay how much it holds after a failure and
 * sends the rest from there (p-retry, within WORKER_UPLOAD_TIMEOUT_S). A refusal (the job moved to
 * another worker, a bad name) is not retried.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import { WORKER_UPLOAD_HEADERS, workerPaths } from '../../protocol/src/index';

export type RelayFilesOptions = { relayUrl: string; token: string; uploadTimeoutMs: number };

export class RelayFiles {
  constructor(private readonly options: RelayFilesOptions) {}

  private get auth() {
    return { authorization: `Bearer ${this.options.token}` };
  }

  /** Downloads one input of a job into `dir`; answers the local file. */
  async download(jobId: string, sha256: string, dir: string): Promise<string> {
    return pRetry(
      async () => {
        const response = await fetch(
          new URL(workerPaths.input(jobId, sha256), this.options.relayUrl),
          { headers: this.auth },
        );
        if (response.status === 403 || response.status === 401)
          throw new AbortError(`the relay refused input ${sha256}: HTTP ${response.status}`);
        if (!response.ok) throw new Error(`input ${sha256}: HTTP ${response.status}`);
        const bytes = Buffer.from(await response.arrayBuffer());
        if (createHash('sha256').update(bytes).digest('hex') !== sha256)
          throw new Error(`input ${sha256} arrived damaged`);
        await mkdir(dir, { recursive: true });
        const file = join(dir, sha256);
        await writeFile(file, bytes);
        return file;
      },
      { retries: 5, minTimeout: 200, maxTimeout: 2_000 },
    );
  }

  /** Uploads one output file of a job attempt, resuming after each cut; throws on a refusal. */
  async upload(
    jobId: string,
    attempt: number,
    type: 'output' | 'temp',
    name: string,
    bytes: Buffer,
  ): Promise<void> {
    const url = new URL(workerPaths.output(jobId, attempt, type, name), this.options.relayUrl);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const headers = {
      ...this.auth,
      [WORKER_UPLOAD_HEADERS.size]: String(bytes.length),
      [WORKER_UPLOAD_HEADERS.sha256]: sha256,
      'content-type': 'application/octet-stream',
    };
    let offset = 0;
    await pRetry(
      async () => {
        const put = new URL(url);
        put.searchParams.set('offset', String(offset));
        const response = await fetch(put, {
          method: 'PUT',
          headers,
          body: bytes.subarray(offset),
        }).catch(async (error: Error) => {
          offset = await this.held(url);
          throw error;
        });
        const body = (await response.json().catch(() => ({}))) as {
          received?: number;
          complete?: boolean;
          error?: { message?: string };
        };
        if (response.status === 409 && typeof body.received === 'number') {
          offset = body.received;
          throw new Error('resuming from what the relay holds');
        }
        if (!response.ok)
          throw new AbortError(
            `the relay refused output ${name}: HTTP ${response.status} ${body.error?.message ?? ''}`,
          );
        if (!body.complete) {
          offset = body.received ?? 0;
          throw new Error(`the relay holds ${offset} of ${bytes.length} bytes; sending the rest`);
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 100,
        maxTimeout: 2_000,
        maxRetryTime: this.options.uploadTimeoutMs,
      },
    );
  }

  /** How many bytes of the file the relay holds (0 when it cannot say). */
  private async held(url: URL): Promise<number> {
    try {
      const response = await fetch(url, { headers: this.auth });
      const body = (await response.json()) as { received?: number };
      return response.ok && typeof body.received === 'number' && body.received >= 0
        ? body.received
        : 0;
    } catch {
      return 0;
    }
  }
}
