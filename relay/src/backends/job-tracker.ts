/**
 * @fileoverview Follows one prompt on a ComfyUI the relay hears directly (a direct GPU's socket, a
 * pull worker's forwarded stream): its WebSocket messages in order (outputs stored in the user's
 * store before `executed` is forwarded), or — when messages were missed (socket drop, relay
 * restart) — its /history entry: outputs stored, the GPU's own ending forwarded, the rest left to
 * the record. Produces the job's RunResult; makes up no message. Where a named file's bytes are
 * (the GPU's /view, a worker's upload) is the caller's `sourceOf`.
 */
import { basename, extname } from 'node:path';
import {
  isTerminalType,
  jobErrorFromExecutionError,
  jobLevelError,
  type NodeUiOutput,
} from '../../../protocol/src/index';
import type { FoundOutput, RunContext, RunResult, RunnableJob } from './backend';
import { untag, type OutputNode } from './tagging';
import type { HistoryEntry } from '../../../kit/comfy/client';
import type { ComfyFrame } from '../../../kit/comfy/socket';

type Message = { type: string; data: Record<string, unknown> };

/** A file an `executed` or a history entry names. */
export type FileItem = { filename: string; subfolder?: string; type?: string };

export class JobTracker {
  readonly result: Promise<RunResult>;
  private resolve!: (result: RunResult) => void;
  private reject!: (error: unknown) => void;
  private chain: Promise<void> = Promise.resolve();
  /** Stores of the files each `executed` names, started as the message arrives (one after another). */
  private storing: Promise<unknown> = Promise.resolve();
  private readonly early = new Map<Message, Promise<NodeUiOutput | null>>();
  private terminal: Message | undefined;
  private started = false;
  private readonly outputs: Record<string, NodeUiOutput> = {};
  private readonly cached = new Set<string>();
  private readonly executed = new Set<string>();
  private readonly statusMessages: [string, Record<string, unknown>][] = [];
  ended = false;
  cancelRequested = false;
  /** The GPU has the prompt (POST answered, or found in its queue on resume). */
  onGpu = false;
  historySeenAt: number | undefined;
  /** Consecutive polls that found the prompt neither in history nor in the queue after it was on the GPU. */
  vanished = 0;
  /** Set by the attempt: the GPU lost the prompt (restarted without it). */
  lost: ((why: string) => void) | undefined;
  /** The node the GPU said it runs now (for the reason given when the GPU dies). */
  runningNode: string | undefined;

  constructor(
    private readonly job: RunnableJob,
    private readonly ctx: RunContext,
    /** Where the bytes of a named file are read from. */
    private readonly sourceOf: (item: FileItem) => FoundOutput['source'],
    private readonly outputNodes: Map<string, OutputNode>,
  ) {
    this.result = new Promise<RunResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.result.catch(() => undefined);
  }

  get hasTerminal(): boolean {
    return this.terminal !== undefined;
  }

  push(event: ComfyFrame): void {
    if (event.kind === 'preview') {
      const meta = event.meta;
      const mime = meta.image_type === 'image/png' ? 'image/png' : 'image/jpeg';
      this.ctx.preview(String(meta.node_id), event.image, mime, {
        display_node_id: meta.display_node_id,
        parent_node_id: meta.parent_node_id,
        real_node_id: meta.real_node_id,
      });
      return;
    }
    const message = { type: event.type, data: event.data };
    if (message.type === 'executed' && !this.ended) this.storeEarly(message);
    this.enqueue(() => this.handle(message));
  }

  /**
   * An `executed` waits in the queue behind the messages before it (each appended to the event
   * log in turn): its files are copied meanwhile, in arrival order, so it goes out as soon as its
   * turn comes. Forwarding still waits for the copy (outputs are stored before `executed`).
   */
  private storeEarly(message: Message): void {
    const stored = this.storing.then(() =>
      this.rewrite(String(message.data.node), message.data.output),
    );
    stored.catch(() => undefined); // awaited by handle(), which reports it
    this.storing = stored.catch(() => undefined);
    this.early.set(message, stored);
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.ended = true;
      this.reject(error);
    });
  }

  private async handle(message: Message): Promise<void> {
    if (this.ended) return;
    const { type, data } = message;
    if (type === 'execution_start') {
      if (!this.started) await this.ctx.phase('running');
      this.started = true;
      this.statusMessages.push([type, data]);
    } else if (type === 'execution_cached') {
      for (const node of (data.nodes as unknown[]) ?? []) this.cached.add(String(node));
      this.statusMessages.push([type, data]);
    } else if (type === 'executing') {
      if (data.node === null || data.node === undefined) {
        await this.ctx.emit(message);
        if (this.terminal) this.end();
        return;
      }
      this.runningNode = String(data.node);
      this.executed.add(String(data.node));
    } else if (type === 'executed') {
      const nodeId = String(data.node);
      const early = this.early.get(message);
      this.early.delete(message);
      const output = await (early ?? this.rewrite(nodeId, data.output));
      if (output) this.outputs[nodeId] = { ...(this.outputs[nodeId] ?? {}), ...output };
      this.executed.add(nodeId);
      await this.ctx.emit({ type, data: { ...data, output } });
      return;
    } else if (isTerminalType(type)) {
      this.terminal = message;
      this.statusMessages.push([type, data]);
      await this.ctx.emit(message);
      // ComfyUI follows with `executing {node:null}`; don't wait forever if it is lost.
      setTimeout(() => this.enqueue(async () => this.end()), 2_000).unref();
      return;
    }
    await this.ctx.emit(message);
  }

  /** `executed.output` with every file copied to the user's store and renamed as stored there. */
  private async rewrite(nodeId: string, output: unknown): Promise<NodeUiOutput | null> {
    if (!output || typeof output !== 'object') return null;
    const out: NodeUiOutput = {};
    for (const [key, items] of Object.entries(output as Record<string, unknown>)) {
      if (!Array.isArray(items)) continue;
      out[key] = await Promise.all(
        items.map((item) => (isFileItem(item) ? this.storeItem(nodeId, key, item) : item)),
      );
    }
    return out;
  }

  private async storeItem(nodeId: string, key: string, item: FileItem) {
    const rel = item.subfolder ? `${item.subfolder}/${item.filename}` : item.filename;
    const tag = untag(rel);
    const source = this.sourceOf(item);
    let found: FoundOutput;
    if (tag && tag.jobId === this.job.id) {
      const node = this.outputNodes.get(tag.nodeId);
      found = {
        nodeId: tag.nodeId,
        key,
        type: node?.deliverAs ?? 'output',
        originalPrefix: tag.originalPrefix,
        source,
        extension: tag.extension,
      };
    } else {
      // A file outside our tag (a custom node's own preview): keep its name, deliver it as temp unless it is an output.
      const extension = extname(item.filename);
      const stem = basename(item.filename, extension).replace(/_\d{5,}_$/, '');
      found = {
        nodeId,
        key,
        type: item.type === 'output' ? 'output' : 'temp',
        originalPrefix: item.subfolder ? `${item.subfolder}/${stem}` : stem,
        source,
        extension,
      };
    }
    const stored = await this.ctx.storeOutput(found);
    return { ...item, ...stored };
  }

  /**
   * Complete from the GPU's history entry (its messages were missed): outputs not seen yet are
   * stored, the GPU's own ending (if history kept it) is forwarded, and the record carries the rest.
   */
  finishFromHistory(entry: HistoryEntry): void {
    this.enqueue(async () => {
      if (this.ended || this.terminal) return;
      const messages = entry.status?.messages ?? [];
      for (const [type, data] of messages) {
        if (type === 'execution_start' && !this.started) this.statusMessages.push([type, data]);
        if (type === 'execution_cached' && this.cached.size === 0) {
          for (const node of (data.nodes as unknown[]) ?? []) this.cached.add(String(node));
          this.statusMessages.push([type, data]);
        }
      }
      await this.ctx.phase('fetching_outputs');
      for (const [nodeId, output] of Object.entries(entry.outputs ?? {})) {
        if (this.outputs[nodeId]) continue;
        const stored = await this.rewrite(nodeId, output);
        if (stored) this.outputs[nodeId] = stored;
      }
      const last = messages.find(([type]) => isTerminalType(type));
      const success = last
        ? last[0] === 'execution_success'
        : entry.status?.status_str === 'success';
      if (last) {
        this.terminal = { type: last[0], data: last[1] };
        this.statusMessages.push([last[0], last[1]]);
        await this.ctx.emit(this.terminal);
      }
      this.ended = true;
      const result = this.build(
        success ? 'success' : last?.[0] === 'execution_interrupted' ? 'interrupted' : 'error',
      );
      if (result.status === 'error') {
        result.error = last
          ? jobErrorFromExecutionError(last[1])
          : jobLevelError(
              'ExecutionError',
              'the GPU reports the job failed but kept no error message in its history',
            );
      }
      this.resolve(result);
    });
  }

  /** The prompt left the GPU without a trace after a cancel (it was still pending there). */
  endInterrupted(): void {
    this.enqueue(async () => {
      if (this.ended) return;
      this.ended = true;
      this.resolve(this.build('interrupted'));
    });
  }

  private end(): void {
    if (this.ended || !this.terminal) return;
    this.ended = true;
    const type = this.terminal.type;
    const status =
      type === 'execution_success'
        ? 'success'
        : type === 'execution_interrupted'
          ? 'interrupted'
          : 'error';
    const result = this.build(status);
    if (status === 'error') result.error = jobErrorFromExecutionError(this.terminal.data);
    this.resolve(result);
  }

  private build(status: RunResult['status']): RunResult {
    return {
      status,
      outputs: this.outputs,
      cachedNodes: [...this.cached],
      executedNodes: [...this.executed],
      statusMessages: this.statusMessages,
    };
  }
}

function isFileItem(item: unknown): item is FileItem {
  return (
    !!item &&
    typeof item === 'object' &&
    typeof (item as { filename?: unknown }).filename === 'string'
  );
}
