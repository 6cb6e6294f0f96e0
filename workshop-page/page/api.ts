/**
 * @fileoverview The harness's `api` (stand-in for the stock frontend's `src/scripts/api.ts`,
 * comfyui-protocol.md §2 and §5): URL helpers under a prefix, `fetchApi` with `Comfy-User`, the
 * `/ws` socket with the sid handshake, feature_flags as the first frame, binary previews, reconnect,
 * forwarding of unknown message types only to registered listeners, and `queuePrompt` posting the
 * same body as the real frontend.
 */

import type { Generation } from './generation';

export type PromptBody = { output: Record<string, unknown>; workflow: unknown };

const BUILTIN_TYPES = new Set([
  'status',
  'executing',
  'execution_start',
  'execution_success',
  'execution_error',
  'execution_interrupted',
  'execution_cached',
  'executed',
  'progress',
  'progress_state',
  'logs',
  'notification',
  'feature_flags',
]);

export class PromptExecutionError extends Error {
  constructor(readonly response: unknown) {
    super('Prompt execution failed');
  }
}

export class ComfyApi extends EventTarget {
  api_host = location.host;
  /** `location.pathname` minus its last segment, as the stock frontend computes it (§6.1). */
  api_base = location.pathname.split('/').slice(0, -1).join('/');
  clientId: string | undefined;
  user = '';
  socket: WebSocket | null = null;
  serverFeatureFlags: Record<string, unknown> = {};
  private readonly registered = new Set<string>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly generation: Pick<Generation, 'featureFlagsEvent' | 'clientFeatureFlags'>,
  ) {
    super();
  }

  apiURL(route: string): string {
    return `${this.api_base}/api${route}`;
  }
  internalURL(route: string): string {
    return `${this.api_base}/internal${route}`;
  }
  fileURL(route: string): string {
    return `${this.api_base}${route}`;
  }

  fetchApi(route: string, options: RequestInit = {}): Promise<Response> {
    const headers = new Headers(options.headers);
    headers.set('Comfy-User', this.user);
    return fetch(this.apiURL(route), { cache: 'no-cache', ...options, headers });
  }

  override addEventListener(
    type: string,
    callback: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    super.addEventListener(type, callback, options);
    this.registered.add(type);
  }
  addCustomEventListener(
    type: string,
    callback: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    this.addEventListener(type, callback, options);
  }
  removeCustomEventListener(
    type: string,
    callback: EventListenerOrEventListenerObject | null,
  ): void {
    this.removeEventListener(type, callback);
  }
  dispatchCustomEvent(type: string, detail?: unknown): boolean {
    return super.dispatchEvent(new CustomEvent(type, { detail: detail ?? null }));
  }

  init(): void {
    this.createSocket();
  }

  private createSocket(isReconnect = false): void {
    if (this.socket) return;
    let opened = false;
    const existing = window.name || sessionStorage.getItem('clientId') || '';
    const query = existing ? `?clientId=${existing}` : '';
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${proto}://${this.api_host}${this.api_base}/ws${query}`);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.addEventListener('open', () => {
      opened = true;
      socket.send(
        JSON.stringify({ type: 'feature_flags', data: this.generation.clientFeatureFlags }),
      );
      if (isReconnect) this.dispatchCustomEvent('reconnected');
    });
    socket.addEventListener('error', () => {
      if (this.socket) this.socket.close();
    });
    socket.addEventListener('close', () => {
      this.socket = null;
      setTimeout(() => this.createSocket(true), 300);
      if (opened) {
        this.dispatchCustomEvent('status', null);
        this.dispatchCustomEvent('reconnecting');
      }
    });
    socket.addEventListener('message', (event) => this.onMessage(event));
  }

  private onMessage(event: MessageEvent): void {
    if (event.data instanceof ArrayBuffer) return this.onBinary(event.data);
    const msg = JSON.parse(String(event.data)) as { type: string; data: Record<string, unknown> };
    switch (msg.type) {
      case 'status': {
        const sid = msg.data.sid;
        if (typeof sid === 'string') {
          this.clientId = sid;
          window.name = sid;
          sessionStorage.setItem('clientId', sid);
        }
        this.dispatchCustomEvent('status', msg.data.status ?? null);
        return;
      }
      case 'executing':
        this.dispatchCustomEvent('executing', msg.data.display_node || msg.data.node);
        return;
      case 'feature_flags':
        this.serverFeatureFlags = msg.data;
        if (this.generation.featureFlagsEvent) this.dispatchCustomEvent('feature_flags', msg.data);
        return;
      default:
        if (BUILTIN_TYPES.has(msg.type) || this.registered.has(msg.type)) {
          this.dispatchCustomEvent(msg.type, msg.data);
        } else if (!this.warned.has(msg.type)) {
          this.warned.add(msg.type);
          console.warn(`Unknown message type ${msg.type}`);
        }
    }
  }

  private onBinary(buffer: ArrayBuffer): void {
    const view = new DataView(buffer);
    const type = view.getUint32(0);
    if (type === 1) {
      const imageType = view.getUint32(4) === 2 ? 'image/png' : 'image/jpeg';
      this.dispatchCustomEvent('b_preview', new Blob([buffer.slice(8)], { type: imageType }));
    } else if (type === 3) {
      const len = view.getUint32(4);
      const nodeId = new TextDecoder().decode(buffer.slice(8, 8 + len));
      const text = new TextDecoder().decode(buffer.slice(8 + len));
      this.dispatchCustomEvent('progress_text', { nodeId, text });
    } else if (type === 4) {
      const len = view.getUint32(4);
      const meta = JSON.parse(new TextDecoder().decode(buffer.slice(8, 8 + len))) as Record<
        string,
        string | null
      >;
      const blob = new Blob([buffer.slice(8 + len)], { type: meta.image_type ?? 'image/jpeg' });
      this.dispatchCustomEvent('b_preview_with_metadata', {
        blob,
        nodeId: meta.node_id,
        displayNodeId: meta.display_node_id,
        parentNodeId: meta.parent_node_id,
        realNodeId: meta.real_node_id,
        jobId: meta.prompt_id,
      });
      this.dispatchCustomEvent('b_preview', blob);
    }
  }

  async getExtensions(): Promise<string[]> {
    return (await this.fetchApi('/extensions')).json() as Promise<string[]>;
  }

  async getNodeDefs(): Promise<Record<string, NodeDef>> {
    return (await this.fetchApi('/object_info')).json() as Promise<Record<string, NodeDef>>;
  }

  /** `POST /api/prompt` with the stock frontend's body: client_id, prompt, extra_data.extra_pnginfo.workflow. */
  async queuePrompt(
    number: number,
    { output, workflow }: PromptBody,
  ): Promise<{ prompt_id: string; number: number }> {
    const body: Record<string, unknown> = { client_id: this.clientId ?? '', prompt: output };
    if (number === -1) body.front = true;
    else if (number !== 0) body.number = number;
    body.extra_data = { extra_pnginfo: { workflow } };
    const res = await this.fetchApi('/prompt', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200)
      throw new PromptExecutionError(await res.json().catch(() => res.statusText));
    return res.json() as Promise<{ prompt_id: string; number: number }>;
  }

  async interrupt(promptId?: string): Promise<void> {
    await this.fetchApi('/interrupt', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(promptId ? { prompt_id: promptId } : {}),
    });
  }
}

export type NodeDef = {
  name: string;
  display_name?: string;
  category?: string;
  output_node?: boolean;
  input: { required?: Record<string, unknown[]>; optional?: Record<string, unknown[]> };
  input_order?: { required?: string[]; optional?: string[] };
  output: (string | string[])[];
  output_name?: string[];
};
