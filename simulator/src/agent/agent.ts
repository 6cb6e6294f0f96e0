/**
 * @fileoverview `simulate --agent`: the GPU agent of gpu-agent/ (comfyume_agent/agent.py) in the
 * simulator, writing the same files in its --output-dir: a journal per job attempt of every
 * prompt carrying the relay's marker, a heartbeat, and obeying cancel markers. It sees the replica
 * the way the Python agent sees ComfyUI: every message as it leaves (attach.ts), the queue, the
 * running prompt and the interrupt flag, through a narrow view. The heartbeat is written by its
 * own thread (heartbeat-thread.mjs), as the Python agent's is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import {
  AGENT_FORMAT_VERSION,
  CancelMarker,
  MARKER_KEY,
  PromptMarker,
} from '../../../protocol/src/agent/journal';
import { cancelPath, heartbeatPath } from '../../../protocol/src/agent/paths';
import { decodeBinaryFrame } from '../../../protocol/src/comfy/ws-binary';
import { JournalWriter } from './journal-writer';

export const AGENT_VERSION = '1.0.0-sim';

export type AgentConfig = {
  root: string;
  replicaId: string;
  heartbeatMs: number;
  flushMs: number;
  previewBudgetBytes: number;
  maxPreviewBytes: number;
};

/** The little of the replica the agent reads and acts on (hooks.py's ComfyView). */
export type ComfyView = {
  queueIds(): { running: Set<string>; pending: Set<string> };
  runningPrompt(): string | undefined;
  deletePending(promptId: string): boolean;
  interrupt(): void;
  version: string;
};

type Held = {
  job: string;
  attempt: number;
  clientId: string | undefined;
  journal: JournalWriter;
  state: 'pending' | 'running' | 'finished';
  node: string | null;
  progress: { node: string; value: number; max: number } | null;
  cancelledUpTo: number;
};

export class SimAgent {
  readonly startedAt = Date.now();
  private readonly held = new Map<string, Held>();
  private running: string | undefined;
  private heartbeat: Worker | undefined;
  private lastState = '';
  private timers: NodeJS.Timeout[] = [];
  private readonly warned = new Set<string>();

  constructor(
    readonly config: AgentConfig,
    private readonly comfy: ComfyView,
    private readonly log: Logger,
  ) {}

  /** Whether a client id belongs to one of our prompts (its previews should carry metadata). */
  isOurClient(clientId: string | null | undefined): boolean {
    return (
      !!clientId &&
      [...this.held.values()].some((h) => h.clientId === clientId && h.state !== 'finished')
    );
  }

  onQueued(promptId: string, number: number, extraData: Record<string, unknown>): boolean {
    const marker = PromptMarker.safeParse(extraData[MARKER_KEY]);
    if (!marker.success || marker.data.job !== promptId) return false;
    const known = this.held.get(promptId);
    if (known && known.state !== 'finished') return true;
    const clientId = typeof extraData.client_id === 'string' ? extraData.client_id : undefined;
    const { root, replicaId, previewBudgetBytes, maxPreviewBytes } = this.config;
    const journal = new JournalWriter(root, marker.data.job, marker.data.attempt, replicaId, {
      previewBudgetBytes,
      maxPreviewBytes,
    });
    this.held.set(promptId, {
      job: marker.data.job,
      attempt: marker.data.attempt,
      clientId,
      journal,
      state: 'pending',
      node: null,
      progress: null,
      cancelledUpTo: 0,
    });
    journal.agent('accepted', undefined, { number, client_id: clientId ?? null });
    this.guard('flush', () => journal.flush()); // at once: the relay sees the claim before the POST answer
    return true;
  }

  onText(type: string, data: unknown): void {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return;
    const body = data as Record<string, unknown>;
    const promptId = typeof body.prompt_id === 'string' ? body.prompt_id : '';
    const held = this.held.get(promptId);
    if (!held || held.state === 'finished') return;
    if (type === 'execution_start') {
      held.state = 'running';
      this.running = promptId;
    }
    held.journal.message(type, structuredClone(body));
    if (type === 'executing') {
      if (body.node === null || body.node === undefined) this.finish(promptId);
      else held.node = String(body.node);
    } else if (type === 'progress') {
      held.progress = {
        node: String(body.node),
        value: Number(body.value ?? 0),
        max: Number(body.max ?? 0),
      };
    }
  }

  onBinary(frame: Uint8Array): void {
    this.guard('binary', () => {
      const decoded = decodeBinaryFrame(frame);
      if (decoded.kind === 'preview_with_metadata') {
        const held = this.held.get(decoded.meta.prompt_id);
        if (!held || held.state === 'finished') return;
        const { node_id, prompt_id, display_node_id, parent_node_id, real_node_id } = decoded.meta;
        held.journal.preview(
          4,
          decoded.meta.image_type,
          { node_id, prompt_id, display_node_id, parent_node_id, real_node_id },
          decoded.image,
        );
        return;
      }
      const held = this.running ? this.held.get(this.running) : undefined;
      if (!held) return;
      if (decoded.kind === 'preview') {
        const node = held.progress?.node ?? held.node;
        if (node)
          held.journal.preview(
            1,
            decoded.mime,
            {
              node_id: node,
              prompt_id: held.job,
              display_node_id: node,
              parent_node_id: null,
              real_node_id: node,
            },
            decoded.image,
          );
      } else if (decoded.kind === 'text') held.journal.progressText(decoded.nodeId, decoded.text);
    });
  }

  flush(): void {
    for (const [promptId, held] of this.held) {
      if (held.journal.hasPending) this.guard('flush', () => held.journal.flush());
      if (held.state === 'finished' && !held.journal.hasPending) this.held.delete(promptId);
    }
  }

  obeyCancels(): void {
    for (const [promptId, held] of this.held) {
      if (held.state === 'finished' || held.cancelledUpTo >= held.attempt) continue;
      const marker = this.readMarker(held.job);
      if (!marker || marker.job !== held.job || marker.attempt < held.attempt) continue;
      let outcome: 'interrupted' | 'dequeued' | 'not_found';
      if (held.state === 'running' && this.comfy.runningPrompt() === promptId) {
        this.comfy.interrupt();
        outcome = 'interrupted';
      } else if (held.state === 'pending' && this.comfy.deletePending(promptId))
        outcome = 'dequeued';
      else if (held.state === 'pending' && this.comfy.queueIds().running.has(promptId))
        continue; // just started
      else outcome = 'not_found';
      held.cancelledUpTo = marker.attempt;
      held.journal.agent('cancel', outcome, {
        reason: marker.reason,
        marker_attempt: marker.attempt,
      });
      if (outcome === 'interrupted') this.guard('flush', () => held.journal.flush());
      else this.finish(promptId);
      this.log.info(
        { job: held.job, attempt: held.attempt, outcome },
        'agent: cancel marker obeyed',
      );
    }
  }

  /** Prompts that left the queue without a word are closed as dequeued (agent.py reconcile). */
  reconcile(): void {
    const { running, pending } = this.comfy.queueIds();
    for (const [promptId, held] of this.held) {
      if (held.state === 'pending' && !pending.has(promptId) && !running.has(promptId)) {
        held.journal.agent('cancel', 'dequeued', { by: 'comfyui' });
        this.finish(promptId);
      }
    }
  }

  /** The heartbeat's content now (the heartbeat thread adds `at` and `beat` and writes it). */
  state(): Record<string, unknown> {
    let running = null;
    const pending = [];
    for (const held of this.held.values()) {
      if (held.state === 'running')
        running = {
          job: held.job,
          attempt: held.attempt,
          node: held.node,
          progress: held.progress,
        };
      else if (held.state === 'pending') pending.push({ job: held.job, attempt: held.attempt });
    }
    return {
      v: AGENT_FORMAT_VERSION,
      replica: this.config.replicaId,
      startedAt: this.startedAt,
      comfyui: this.comfy.version,
      agent: AGENT_VERSION,
      intervalS: this.config.heartbeatMs / 1000,
      running,
      pending,
    };
  }

  /** Starts the heartbeat thread and the journal loop; resolves once the first heartbeat is written. */
  async start(): Promise<void> {
    const state = this.state();
    this.lastState = JSON.stringify(state);
    // Plain JavaScript: no TypeScript loader in the thread, so it beats soon after the process starts.
    const heartbeat = new Worker(new URL('./heartbeat-thread.mjs', import.meta.url), {
      workerData: {
        path: this.path(heartbeatPath(this.config.replicaId)),
        intervalMs: this.config.heartbeatMs,
        state,
      },
      execArgv: [],
    });
    this.heartbeat = heartbeat;
    heartbeat.on('error', (error) =>
      this.log.warn({ err: error.message }, 'agent: heartbeat thread failed'),
    );
    this.timers = [
      setInterval(() => {
        this.obeyCancels();
        this.flush();
        this.postState();
      }, this.config.flushMs),
      setInterval(() => this.reconcile(), this.config.heartbeatMs),
    ];
    await new Promise<void>((resolve, reject) => {
      heartbeat.once('message', () => resolve());
      heartbeat.once('error', reject);
    });
  }

  private postState(): void {
    const state = this.state();
    const text = JSON.stringify(state);
    if (text === this.lastState) return;
    this.lastState = text;
    this.heartbeat?.postMessage({ type: 'state', state });
  }

  /** A clean stop: journals written, heartbeat removed (a kill -9 leaves it to go stale). */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.flush();
    const heartbeat = this.heartbeat;
    if (!heartbeat) return;
    const exited = new Promise<void>((resolve) => heartbeat.once('exit', () => resolve()));
    heartbeat.postMessage({ type: 'stop' });
    await exited;
  }

  private finish(promptId: string): void {
    const held = this.held.get(promptId);
    if (!held || held.state === 'finished') return;
    held.state = 'finished';
    if (this.running === promptId) this.running = undefined;
    this.guard('flush', () => held.journal.close());
  }

  private readMarker(job: string): CancelMarker | undefined {
    try {
      const parsed = CancelMarker.safeParse(
        JSON.parse(readFileSync(this.path(cancelPath(job)), 'utf8')),
      );
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private path(rel: string): string {
    return join(this.config.root, ...rel.split('/'));
  }

  private guard(where: string, work: () => unknown): void {
    try {
      work();
    } catch (error) {
      if (this.warned.has(where)) return;
      this.warned.add(where);
      this.log.warn({ err: (error as Error).message, where }, 'agent: failed; retrying');
    }
  }
}
