/**
 * @fileoverview HTTP calls to one ComfyUI (a direct GPU or the simulator): POST /prompt with our
 * prompt_id and client_id, /history/{id}, /queue, /interrupt, /upload/image, /object_info, /view URLs.
 */
import { basename } from 'node:path';
import { openAsBlob } from 'node:fs';
import { fetch, FormData } from 'undici';

export type HistoryEntry = {
  outputs?: Record<string, Record<string, unknown[]>>;
  status?: {
    status_str?: string;
    completed?: boolean;
    messages?: [string, Record<string, unknown>][];
  };
};

export type PostPromptResult = { ok: true } | { ok: false; status: number; body: unknown };

/** A transport failure or a 5xx: the GPU may or may not have the prompt; probe before retrying. */
export class ComfyUnavailable extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ComfyUnavailable';
  }
}

export class ComfyClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 15_000,
  ) {}

  private async call(
    path: string,
    init: { method?: string; body?: unknown; form?: FormData } = {},
  ): Promise<{ status: number; body: unknown }> {
    let response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: init.method ?? (init.body !== undefined || init.form ? 'POST' : 'GET'),
        headers: init.body !== undefined ? { 'content-type': 'application/json' } : undefined,
        body: init.form ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ComfyUnavailable(
        `${this.baseUrl}${path}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
      );
    }
    const text = await response.text();
    if (response.status >= 500)
      throw new ComfyUnavailable(
        `${this.baseUrl}${path} answered HTTP ${response.status}`,
        response.status,
      );
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, body };
  }

  async postPrompt(body: Record<string, unknown>): Promise<PostPromptResult> {
    const { status, body: answer } = await this.call('/prompt', { body });
    return status === 200 ? { ok: true } : { ok: false, status, body: answer };
  }

  /** The history entry, or undefined when this ComfyUI does not know the prompt (`{}`). */
  async history(promptId: string): Promise<HistoryEntry | undefined> {
    const { status, body } = await this.call(`/history/${encodeURIComponent(promptId)}`);
    if (status !== 200 || !body || typeof body !== 'object') return undefined;
    return (body as Record<string, HistoryEntry>)[promptId];
  }

  /** Whether the prompt is running or pending here. */
  async inQueue(promptId: string): Promise<boolean> {
    const { body } = await this.call('/queue');
    const queue = (body ?? {}) as { queue_running?: unknown[][]; queue_pending?: unknown[][] };
    return [...(queue.queue_running ?? []), ...(queue.queue_pending ?? [])].some(
      (item) => Array.isArray(item) && item[1] === promptId,
    );
  }

  async interrupt(promptId: string): Promise<void> {
    await this.call('/interrupt', { body: { prompt_id: promptId } });
    await this.call('/queue', { body: { delete: [promptId] } });
  }

  /** Any read-only GET (listings for the attendee's UI): status and parsed body. */
  async getJson(path: string): Promise<{ status: number; body: unknown }> {
    return this.call(path);
  }

  async objectInfo(): Promise<Record<string, unknown>> {
    const { status, body } = await this.call('/object_info');
    if (status !== 200 || !body || typeof body !== 'object')
      throw new ComfyUnavailable(`${this.baseUrl}/object_info answered HTTP ${status}`, status);
    return body as Record<string, unknown>;
  }

  /** Put an input file where the prompt expects it (`sub/cat.png` → subfolder "sub", name "cat.png"). */
  async uploadInput(file: string, promptPath: string): Promise<void> {
    const slash = promptPath.lastIndexOf('/');
    const form = new FormData();
    form.set('image', await openAsBlob(file), basename(promptPath));
    form.set('type', 'input');
    form.set('subfolder', slash > 0 ? promptPath.slice(0, slash) : '');
    form.set('overwrite', 'true');
    const { status, body } = await this.call('/upload/image', { form });
    if (status !== 200)
      throw new ComfyUnavailable(
        `uploading input ${promptPath} failed with HTTP ${status}: ${JSON.stringify(body)}`,
        status,
      );
  }

  viewUrl(item: { filename: string; subfolder?: string; type?: string }): string {
    const query = new URLSearchParams({
      filename: item.filename,
      subfolder: item.subfolder ?? '',
      type: item.type ?? 'output',
    });
    return `${this.baseUrl}/view?${query}`;
  }
}
