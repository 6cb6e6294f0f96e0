/**
 * @fileoverview Replays one real ComfyUI recording through a running platform (replay-stack.ts) as the
 * recorded client did it — same first frame, same POST /prompt, same run4 steps — and compares what
 * the tab received with what real ComfyUI sent: every text frame's type in order, every frame's
 * content once ids, times and temp names are normalised (Python-set orders as
 * simulator/testing/compare.ts treats them), the binary frame count, and the history entry's status.
 */
import WebSocket from 'ws';
import { scrub } from '../../simulator/testing/compare';
import { postJson } from '../../simulator/testing/recorded';
import type { InterruptStep, Recording, RecordedRequest, WsMessage } from './replay-recordings';
import type { ReplayStack } from './replay-stack';

export type ReplayResult = {
  /** Every text frame the tab received, from the connect to the close (handshake included). */
  received: WsMessage[];
  binaryCount: number;
  promptId: string;
  /** `/history/<id>` through the sidecar after the end. */
  history: Record<string, unknown>;
  /** recorded id or sid → ours, for the comparison. */
  renames: Map<string, string>;
  /** Why a comparison may have failed for reasons outside the platform (a machine too slow for run4). */
  notes: string[];
};

/** A browser tab's socket: sends one first frame, keeps every frame, wakes waiters on each. */
export class ReplayTab {
  readonly received: WsMessage[] = [];
  binaryCount = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.binaryCount++;
      else this.received.push(JSON.parse(String(data)) as WsMessage);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(
    baseUrl: string,
    clientId: string | undefined,
    first: WsMessage | undefined,
  ): Promise<ReplayTab> {
    const ws = new WebSocket(
      `${baseUrl.replace(/^http/, 'ws')}/ws${clientId ? `?clientId=${encodeURIComponent(clientId)}` : ''}`,
      {
        headers: { origin: baseUrl },
      },
    );
    const tab = new ReplayTab(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (first) ws.send(JSON.stringify(first));
    await tab.until(
      () => tab.received.some((m) => m.type === 'status' && typeof m.data.sid === 'string'),
      'the status frame with the sid',
    );
    return tab;
  }

  get sid(): string {
    return String(this.received.find((m) => m.type === 'status' && m.data.sid)?.data.sid);
  }

  /** Resolves when `condition` holds (checked on every frame); rejects after `timeoutMs` saying what it waited for. */
  async until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; frames so far: ${this.received.map((m) => m.type).join(', ')}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  ended(promptId: string): boolean {
    return this.received.some(
      (m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === promptId,
    );
  }

  count(type: string): number {
    return this.received.filter((m) => m.type === type).length;
  }

  close(): void {
    this.ws.close();
  }
}

/** Recorded text with every recorded id (prompt ids, sids) replaced by ours. */
function renamed<T>(value: T, renames: Map<string, string>): T {
  let text = JSON.stringify(value);
  for (const [recorded, ours] of renames) text = text.replaceAll(recorded, ours);
  return JSON.parse(text) as T;
}

/** A POST the recording made (all its requests are POSTs), with recorded ids replaced by ours. */
async function post(
  baseUrl: string,
  request: RecordedRequest,
  renames: Map<string, string>,
  headers: Record<string, string> = {},
) {
  const body = request.body === undefined ? '' : renamed(request.body, renames);
  const res = await postJson(`${baseUrl}${renamed(request.path, renames)}`, body, {
    origin: baseUrl,
    ...headers,
  });
  return { ...res, json: res.json as Record<string, unknown> | undefined };
}

/** POST /prompt as the recording did; the answered prompt id is mapped to the recorded one. */
async function queuePrompt(
  stack: ReplayStack,
  request: RecordedRequest,
  clientId: string,
  renames: Map<string, string>,
  headers: Record<string, string> = {},
) {
  const body = { ...(request.body as Record<string, unknown>), client_id: clientId };
  const res = await post(stack.url, { ...request, body }, renames, headers);
  const promptId = res.json?.prompt_id;
  if (res.status !== 200 || typeof promptId !== 'string')
    throw new Error(`POST ${request.path} answered ${res.status}: ${res.text.slice(0, 500)}`);
  const recorded = (request.responseJson as { prompt_id?: string } | undefined)?.prompt_id;
  if (recorded) renames.set(recorded, promptId);
  return promptId;
}

async function runSteps(
  stack: ReplayStack,
  tab: ReplayTab,
  promptId: string,
  steps: InterruptStep[],
  renames: Map<string, string>,
  notes: string[],
) {
  await tab.until(
    () =>
      tab.received.some(
        (m) => m.type === 'executing' && m.data.node === '2' && m.data.prompt_id === promptId,
      ),
    'node 2 running',
  );
  const startedAt = Date.now();
  for (const step of steps) {
    const before = tab.count('status');
    if (step.kind === 'queue') {
      const clientId = String((step.request.body as { client_id?: unknown }).client_id ?? '');
      await queuePrompt(stack, step.request, clientId, renames);
      await tab.until(
        () => tab.count('status') > before,
        `the status after queueing ${step.request.path}`,
      );
    } else if (step.kind === 'remove') {
      await post(stack.url, step.request, renames);
      // A missing second status must fail the comparison, not hang the replay: wait for it briefly only.
      await tab.until(() => tab.count('status') > before, `the status after ${step.request.path}`);
      await tab
        .until(
          () => tab.count('status') >= before + step.statuses,
          `status ×${step.statuses}`,
          3_000,
        )
        .catch(() => undefined);
    } else {
      if (
        tab.received.some(
          (m) =>
            m.type === 'executing' &&
            m.data.node !== '2' &&
            m.data.node !== '1' &&
            m.data.prompt_id === promptId,
        )
      ) {
        notes.push(
          `node 2 had finished before the interrupt was sent (the steps took ${Date.now() - startedAt} ms): the machine was too slow for run4's stepMs`,
        );
      }
      await post(stack.url, step.request, renames);
    }
  }
}

/** Replays `recording` against `stack` as a stock page (no extension hello) and collects what the tab got. */
export async function replay(stack: ReplayStack, recording: Recording): Promise<ReplayResult> {
  const renames = new Map<string, string>();
  const notes: string[] = [];
  const { script } = recording;
  if (script.kind === 'rerun') {
    const primer = await ReplayTab.open(
      stack.url,
      `${recording.clientId ?? 'tab'}-first-run`,
      recording.hello,
    );
    const first = await queuePrompt(stack, script.prime, primer.sid, new Map());
    await primer.until(() => primer.ended(first), 'the end of the first run');
    primer.close();
  }
  const tab = await ReplayTab.open(stack.url, recording.clientId, recording.hello);
  try {
    const recordedSid = String(
      recording.received.find((m) => m.type === 'status' && m.data.sid)?.data.sid,
    );
    if (recordedSid !== tab.sid) renames.set(recordedSid, tab.sid);
    const promptId = await queuePrompt(
      stack,
      recording.prompt,
      tab.sid,
      renames,
      recording.headers,
    );
    if (script.kind === 'interrupt')
      await runSteps(stack, tab, promptId, script.whileRunning, renames, notes);
    await tab.until(() => tab.ended(promptId), `executing {node: null} of ${promptId}`);
    const history = (await (await fetch(`${stack.url}/history/${promptId}`)).json()) as Record<
      string,
      unknown
    >;
    return {
      received: [...tab.received],
      binaryCount: tab.binaryCount,
      promptId,
      history,
      renames,
      notes,
    };
  } finally {
    tab.close();
  }
}

/** Sorted-key JSON, so two equal messages compare equal whatever order their keys were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What honestly differs between two runs, removed: ids (mapped before), times, temp suffixes, folder
 * paths, Python-set orders (scrub); the attendee's own ComfyUI answers `feature_flags` (not ours to
 * shape); a traceback is compared as a list of strings (its lines name the machine's files), a
 * failed node's current_inputs by name and value type (a tensor's printed repr is the machine's).
 */
function normalise(message: WsMessage): WsMessage {
  const scrubbed = scrub(message) as WsMessage;
  if (message.type === 'feature_flags')
    return { type: 'feature_flags', data: { '<answered by the attendee ComfyUI>': true } };
  if (Array.isArray(scrubbed.data.traceback)) scrubbed.data.traceback = ['<traceback lines>'];
  // The inputs of a failed node are printed Python values (a tensor's repr): compared by name and type.
  const inputs = scrubbed.data.current_inputs;
  if (inputs && typeof inputs === 'object' && !Array.isArray(inputs)) {
    scrubbed.data.current_inputs = Object.fromEntries(
      Object.entries(inputs).map(([name, values]) => [
        name,
        Array.isArray(values) ? values.map((v) => (v === null ? 'null' : typeof v)) : typeof values,
      ]),
    );
  }
  return scrubbed;
}

/** The recorded and our side of each comparison, ready for `expect(ours).toEqual(recorded)`. */
export type Comparison = {
  /** Text frame types in order (comfyume.* included: a stock page must get none). */
  types: { recorded: string[]; ours: string[] };
  /** Every text frame but progress_state, normalised, as a sorted multiset (output nodes run in a Python-set order). */
  content: { recorded: string[]; ours: string[] };
  /** The final cumulative progress_state (every node touched, whatever the order). */
  lastProgressState: { recorded: unknown; ours: unknown };
  binaryCount: { recorded: number; ours: number };
  /** History `status` (status_str, completed, messages), API recordings only. */
  historyStatus?: { recorded: unknown; ours: unknown };
};

export function compare(recording: Recording, result: ReplayResult): Comparison {
  const recorded = renamed(recording.received, result.renames);
  const ours = result.received;
  const contentOf = (list: WsMessage[]) =>
    list
      .filter((m) => m.type !== 'progress_state')
      .map((m) => canonical(normalise(m)))
      .sort();
  const lastPs = (list: WsMessage[]) => {
    const last = list.filter((m) => m.type === 'progress_state').at(-1);
    return last ? normalise(last) : null;
  };
  const comparison: Comparison = {
    types: { recorded: recorded.map((m) => m.type), ours: ours.map((m) => m.type) },
    content: { recorded: contentOf(recorded), ours: contentOf(ours) },
    lastProgressState: { recorded: lastPs(recorded), ours: lastPs(ours) },
    binaryCount: { recorded: recording.binaryCount, ours: result.binaryCount },
  };
  if (recording.history) {
    type HistoryStatus = {
      status_str: string;
      completed: boolean;
      messages: [string, Record<string, unknown>][];
    };
    // The same normalisation as the socket's messages: history keeps the same payloads.
    const status = (doc: Record<string, unknown>, id: string) => {
      const found = (doc[id] as { status?: HistoryStatus } | undefined)?.status;
      if (!found) return null;
      const messages = found.messages.map(([type, data]) => {
        const { data: normal } = normalise({ type, data });
        return [type, normal];
      });
      return scrub({ ...found, messages });
    };
    comparison.historyStatus = {
      recorded: status(renamed(recording.history, result.renames), result.promptId),
      ours: status(result.history, result.promptId),
    };
  }
  return comparison;
}
