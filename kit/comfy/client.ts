/**
 * @fileoverview ComfyUI's HTTP routes over one ComfyHttp, typed by protocol/'s shapes: POST
 * /prompt, /history/{id}, /queue, /interrupt, /upload/image, /object_info, /view. One place
 * builds each request; what an answer means for a job (a refusal, "not here") stays with the
 * caller. Bodies are read loosely (a GPU of another version may add or drop fields).
 */
import { openAsBlob } from 'node:fs';
import type {
  ComfyHistoryEntry,
  ComfyPostPromptRequest,
  ComfyPostPromptResponse,
  ComfyQueueResponse,
  ComfyUploadResponse,
} from '../../protocol/src/index';
import { ComfyUnavailable } from './errors';
import { ComfyHttp, type ComfyHttpOptions, type Reply, type RequestInit } from './http';

/** A history entry as a GPU answers it, any part missing. */
export type HistoryEntry = {
  outputs?: ComfyHistoryEntry['outputs'];
  status?: Partial<NonNullable<ComfyHistoryEntry['status']>> | null;
};

/** 200: ComfyUI's answer (prompt_id, number, node_errors); otherwise the refusal as sent (a 400's error and node_errors). */
export type PostPromptAnswer =
  | { ok: true; status: 200; body: Partial<ComfyPostPromptResponse> }
  | { ok: false; status: number; body: unknown; text: string };

export type ComfyClientOptions = ComfyHttpOptions & {
  /** `/api` for a sidecar or a ComfyUI behind the frontend's prefix; '' (default) for a GPU. */
  apiPrefix?: '' | '/api';
};

type FileRef = { filename: string; subfolder?: string; type?: string };

export class ComfyClient {
  readonly http: ComfyHttp;
  private readonly prefix: string;

  constructor(options: ComfyClientOptions) {
    this.http = new ComfyHttp(options);
    this.prefix = options.apiPrefix ?? '';
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Any GET: status and parsed body (a body that is not JSON as its text). */
  async getJson(path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
    const { status, body, text } = await this.http.request('GET', path, init);
    return { status, body: body === undefined && text ? text : body };
  }

  async postPrompt(body: ComfyPostPromptRequest, init?: RequestInit): Promise<PostPromptAnswer> {
    const reply = await this.http.request('POST', `${this.prefix}/prompt`, { ...init, json: body });
    return reply.status === 200
      ? { ok: true, status: 200, body: (reply.body ?? {}) as Partial<ComfyPostPromptResponse> }
      : {
          ok: false,
          status: reply.status,
          body: reply.body === undefined && reply.text ? reply.text : reply.body,
          text: reply.text,
        };
  }

  /** The prompt's history entry, or undefined when this ComfyUI does not know it (`{}`). */
  async history(promptId: string, init?: RequestInit): Promise<HistoryEntry | undefined> {
    const path = `${this.prefix}/history/${encodeURIComponent(promptId)}`;
    const { status, body } = await this.http.request('GET', path, init);
    if (status !== 200 || !body || typeof body !== 'object') return undefined;
    return (body as Record<string, HistoryEntry>)[promptId];
  }

  /** GET /queue, each list empty when missing. */
  async queue(init?: RequestInit): Promise<ComfyQueueResponse> {
    const { body } = await this.http.request('GET', `${this.prefix}/queue`, init);
    const queue = (body ?? {}) as Partial<ComfyQueueResponse>;
    return { queue_running: queue.queue_running ?? [], queue_pending: queue.queue_pending ?? [] };
  }

  /** Whether the prompt is running or pending here. */
  async inQueue(promptId: string, init?: RequestInit): Promise<boolean> {
    const queue = await this.queue(init);
    return [...queue.queue_running, ...queue.queue_pending].some(
      (item) => Array.isArray(item) && item[1] === promptId,
    );
  }

  /** Stop the prompt if it runs, drop it if it waits. */
  async interrupt(promptId: string, init?: RequestInit): Promise<void> {
    await this.http.request('POST', `${this.prefix}/interrupt`, {
      ...init,
      json: { prompt_id: promptId },
    });
    await this.http.request('POST', `${this.prefix}/queue`, {
      ...init,
      json: { delete: [promptId] },
    });
  }

  /** The node definitions; any answer but a 200 with an object is ComfyUnavailable. */
  async objectInfo(init?: RequestInit): Promise<Record<string, unknown>> {
    const { status, body } = await this.http.request('GET', `${this.prefix}/object_info`, init);
    if (status !== 200 || !body || typeof body !== 'object')
      throw new ComfyUnavailable(
        `GET ${this.baseUrl}${this.prefix}/object_info: HTTP ${status}`,
        true,
        false,
        status,
      );
    return body as Record<string, unknown>;
  }

  /**
   * Put an input file where a prompt expects it (`sub/cat.png` → subfolder "sub", name
   * "cat.png", overwriting). The reply is the caller's to judge (ComfyUploadResponse on 200).
   */
  async upload(
    file: string,
    promptPath: string,
    init?: RequestInit,
  ): Promise<Reply & { name: string; subfolder: string; stored?: Partial<ComfyUploadResponse> }> {
    const slash = promptPath.lastIndexOf('/');
    const name = promptPath.slice(slash + 1);
    const subfolder = slash > 0 ? promptPath.slice(0, slash) : '';
    const form = new FormData();
    form.set('image', await openAsBlob(file), name);
    form.set('type', 'input');
    form.set('subfolder', subfolder);
    form.set('overwrite', 'true');
    const reply = await this.http.request('POST', `${this.prefix}/upload/image`, { ...init, form });
    const stored =
      reply.status === 200 ? (reply.body as Partial<ComfyUploadResponse> | undefined) : undefined;
    return { ...reply, name, subfolder, stored };
  }

  /** The /view path of a file a history entry or an `executed` names. */
  viewPath(item: FileRef): string {
    const query = new URLSearchParams({
      filename: item.filename,
      subfolder: item.subfolder ?? '',
      type: item.type ?? 'output',
    });
    return `${this.prefix}/view?${query}`;
  }

  viewUrl(item: FileRef): string {
    return `${this.baseUrl}${this.viewPath(item)}`;
  }

  /** A file's bytes through /view. */
  download(item: FileRef, init?: RequestInit): Promise<{ status: number; bytes: Buffer }> {
    return this.http.download(this.viewPath(item), init);
  }
}
