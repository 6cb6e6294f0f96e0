/**
 * @fileoverview Queue a prompt the way the ComfyUI browser tab does — WebSocket first (clientId,
 * feature_flags), then POST /api/prompt with `{client_id, prompt, extra_data}` — follow its
 * messages (ComfyUI's own plus our `comfyume.job`), and fetch its outputs through /api/view.
 * Works against a sidecar, a sidecar behind nginx (/userNNN/ + basic auth) or a plain ComfyUI.
 */
import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { FRONTEND_FEATURE_FLAGS, openComfySocket, readFrame } from '../../../kit/comfy/socket';
import type { ComfyumeHello } from '../../../protocol/src/relay/events';
import { fetchOutputs } from './outputs';
import { SubmitError, type SavedFile, type Target } from './target';

/** Announces our client on the socket (a plain ComfyUI ignores it; a sidecar sends `comfyume.*` after it). */
const CLI_HELLO: ComfyumeHello = { type: 'comfyume.hello', data: { extension: 'comfyume-cli' } };

export type JobPhase =
  | 'submitted'
  | 'queued'
  | 'warming_up'
  | 'running'
  | 'fetching_outputs'
  | 'done'
  | 'failed'
  | 'cancelled';

export type Progress = {
  phase: JobPhase;
  position?: number;
  queueLength?: number;
  etaMs?: number;
  node?: string;
  value?: number;
  max?: number;
  queueRemaining?: number;
};

export type RunResult = {
  promptId: string;
  ok: boolean;
  error?: string;
  submittedAt: number;
  startedAt?: number;
  finishedAt: number;
  files: SavedFile[];
};

export type RunOptions = {
  /** UI-format workflow to embed as extra_pnginfo (PNG metadata), as the browser does. */
  workflow?: unknown;
  /** Save outputs here; without it they are only listed (and fetched, to prove they are servable). */
  outDir?: string;
  /** Save temp (preview) images too. */
  includeTemp?: boolean;
  timeoutMs?: number;
  onProgress?: (progress: Progress) => void;
};

type WsMessage = { type: string; data: Record<string, unknown> };

/** Opens the tab's socket and waits for the first status frame (which carries the sid). */
export async function openSocket(target: Target, clientId: string): Promise<WebSocket> {
  return openComfySocket(target.baseUrl, clientId, {
    featureFlags: FRONTEND_FEATURE_FLAGS,
    // As our extension does: the sidecar then sends this socket `comfyume.job` (queue position, phases).
    hello: CLI_HELLO,
    headers: target.http.headers,
    waitFor: 'status',
    timeoutMs: 15_000,
  });
}

/** POST /api/prompt exactly as the frontend does; returns the prompt id or throws with node_errors. */
export async function postPrompt(
  target: Target,
  clientId: string,
  prompt: unknown,
  workflow?: unknown,
): Promise<string> {
  const answer = await target.postPrompt(
    {
      client_id: clientId,
      prompt,
      extra_data: workflow ? { extra_pnginfo: { workflow } } : {},
    },
    { headers: { 'comfy-user': '' } },
  );
  if (answer.ok && answer.body.prompt_id) return answer.body.prompt_id;
  const text = answer.ok ? '' : answer.text;
  const json = (answer.body && typeof answer.body === 'object' ? answer.body : {}) as {
    error?: { message?: string; details?: string } | string;
    node_errors?: Record<
      string,
      { errors?: { message: string; details?: string }[]; class_type?: string }
    >;
  };
  const top =
    typeof json.error === 'string'
      ? json.error
      : [json.error?.message, json.error?.details].filter(Boolean).join(': ');
  const nodes = Object.entries(json.node_errors ?? {}).flatMap(([id, entry]) =>
    (entry.errors ?? []).map(
      (e) =>
        `  node ${id} (${entry.class_type ?? '?'}): ${e.message}${e.details ? ` — ${e.details}` : ''}`,
    ),
  );
  throw new SubmitError(
    [`the prompt was refused (HTTP ${answer.status}): ${top || text.slice(0, 300)}`, ...nodes].join(
      '\n',
    ),
    json,
  );
}

/** Queue `prompt` and follow it to the end. Throws SubmitError (refused) or ComfyUnavailable (unreachable) when it cannot be queued at all. */
export async function runPrompt(
  target: Target,
  prompt: unknown,
  opts: RunOptions = {},
): Promise<RunResult> {
  const clientId = randomUUID().replace(/-/g, '');
  const ws = await openSocket(target, clientId);
  const wsOutputs: Record<string, Record<string, unknown>> = {};
  const progress: Progress = { phase: 'submitted' };
  const emit = (patch: Partial<Progress>) => {
    Object.assign(progress, patch);
    opts.onProgress?.({ ...progress });
  };
  let promptId: string | undefined;
  const early: WsMessage[] = [];
  let startedAt: number | undefined;
  let settle!: (outcome: { ok: boolean; error?: string }) => void;
  const finished = new Promise<{ ok: boolean; error?: string }>((resolve) => (settle = resolve));

  const handle = (message: WsMessage) => {
    const data = message.data ?? {};
    if (message.type === 'status') {
      const remaining = (data.status as { exec_info?: { queue_remaining?: number } } | undefined)
        ?.exec_info?.queue_remaining;
      if (typeof remaining === 'number') emit({ queueRemaining: remaining });
      return;
    }
    if (message.type === 'comfyume.job') {
      if (data.id !== promptId) return;
      const p = data.progress as { nodeId?: string; value?: number; max?: number } | undefined;
      const state = data.state as JobPhase | 'submitting';
      if (state === 'running' || state === 'warming_up') startedAt ??= Date.now();
      emit({
        phase: state === 'submitting' ? 'queued' : state,
        position: data.position as number | undefined,
        queueLength: data.queueLength as number | undefined,
        etaMs: data.etaMs as number | undefined,
        ...(p ? { node: p.nodeId, value: p.value, max: p.max } : {}),
      });
      return;
    }
    if (data.prompt_id !== promptId) return;
    switch (message.type) {
      case 'execution_start':
        startedAt ??= Date.now();
        emit({ phase: 'running' });
        break;
      case 'executing':
        if (data.node === null) settle({ ok: true });
        else emit({ phase: 'running', node: String(data.node), value: undefined, max: undefined });
        break;
      case 'progress':
        emit({
          phase: 'running',
          node: String(data.node),
          value: data.value as number,
          max: data.max as number,
        });
        break;
      case 'executed':
        wsOutputs[String(data.node)] = (data.output ?? {}) as Record<string, unknown>;
        break;
      case 'execution_success':
        settle({ ok: true });
        break;
      case 'execution_error':
        settle({
          ok: false,
          error: `node ${data.node_id} (${data.node_type}) failed: ${String(data.exception_message ?? '').trim()}`,
        });
        break;
      case 'execution_interrupted':
        settle({ ok: false, error: 'the job was interrupted' });
        break;
    }
  };
  ws.on('message', (raw, binary) => {
    const frame = readFrame(raw, binary);
    if (frame?.kind !== 'message') return;
    const message: WsMessage = { type: frame.type, data: frame.data };
    if (promptId === undefined) early.push(message);
    else handle(message);
  });
  ws.on('close', () =>
    settle({ ok: false, error: 'the WebSocket closed before the job finished' }),
  );

  const submittedAt = Date.now();
  try {
    promptId = await postPrompt(target, clientId, prompt, opts.workflow);
  } catch (error) {
    ws.terminate();
    throw error;
  }
  emit({ phase: 'queued' });
  for (const message of early.splice(0)) handle(message);

  const timeoutMs = opts.timeoutMs ?? 600_000;
  const timer = setTimeout(
    () => settle({ ok: false, error: `no result after ${Math.round(timeoutMs / 1000)} s` }),
    timeoutMs,
  );
  const outcome = await finished;
  clearTimeout(timer);
  ws.removeAllListeners('close');
  ws.close();
  const finishedAt = Date.now();
  if (!outcome.ok) {
    emit({ phase: 'failed' });
    return {
      promptId,
      ok: false,
      error: outcome.error,
      submittedAt,
      startedAt,
      finishedAt,
      files: [],
    };
  }
  const files = await fetchOutputs(target, promptId, opts, wsOutputs);
  emit({ phase: 'done' });
  return {
    promptId,
    ok: true,
    submittedAt,
    startedAt: startedAt ?? submittedAt,
    finishedAt,
    files,
  };
}
