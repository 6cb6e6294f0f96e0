/**
 * @fileoverview A serverless job's outputs as they arrive: each file is taken once (by path),
 * stored for the user, then reported as evidence (its node runs; its output is stored) in one
 * order with the GPU's own messages learned from history. The sidecar's sequence turns that into
 * ComfyUI's messages; nothing here writes a ComfyUI message of its own.
 */
import pLimit from 'p-limit';
import type { JobError } from '../../../../protocol/src/index';
import type { RunContext } from '../backend';
import { outputKey, untag, type OutputNode, type Untagged } from '../tagging';
import { jobLevelError, type ComfyMessage } from './messages';
import type { Metrics } from './metrics';

export type FileStat = { mtimeMs: number; seenAt: number };

export class Deliveries {
  /** nodeId → its UI output so far, with user-store names. */
  readonly outputs = new Map<string, Record<string, unknown[]>>();
  /** The job's output nodes by id (from tagging). */
  nodes = new Map<string, OutputNode>();
  pending = 0;
  lastFileAt = 0;
  failure: JobError | null = null;
  private readonly files = new Map<string, Promise<void>>();
  private readonly serial = pLimit(1);
  private readonly announced = new Set<string>();

  constructor(
    private readonly jobId: string,
    private readonly ctx: RunContext,
    private readonly metrics: Metrics,
    /** Called whenever a delivery ends (the run re-checks its evidence). */
    private readonly changed: () => void,
  ) {}

  get count(): number {
    return this.files.size;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  /** Take a file of this job once: store it, then announce it. Files of other jobs are ignored. */
  accept(path: string, rel: string, stat: FileStat): void {
    if (this.files.has(path)) return;
    const tag = untag(rel);
    if (!tag || tag.jobId !== this.jobId) return;
    const node = this.nodes.get(tag.nodeId);
    if (node && !node.deliverFiles) return;
    this.pending++;
    this.lastFileAt = Date.now();
    const delivery = this.serial(() => this.deliver(path, tag, node, stat))
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        const message = `could not store output ${tag.file} of node ${tag.nodeId}: ${reason}`;
        this.failure ??= jobLevelError('OutputStore', message);
      })
      .finally(() => {
        this.pending--;
        this.lastFileAt = Date.now();
        this.changed();
      });
    this.files.set(path, delivery);
  }

  /** Every delivery started so far has ended. */
  async drain(): Promise<void> {
    await Promise.all(this.files.values());
  }

  /** Forward a message the GPU said (learned from its history), in order with the evidence. */
  emit(message: ComfyMessage): Promise<void> {
    return this.serial(() => this.ctx.emit(message));
  }

  /** The GPU has the job and works on it. */
  started(): Promise<void> {
    return this.serial(() => this.ctx.evidence({ kind: 'started', at: Date.now() }));
  }

  /** Set a node's UI output (history extras such as text) and report it. */
  async announce(nodeId: string, output: Record<string, unknown[]>): Promise<void> {
    this.outputs.set(nodeId, output);
    await this.serial(() => this.ctx.evidence({ kind: 'output', nodeId, output }));
  }

  /**
   * The job's end: the GPU's own ending when its history kept one (forwarded after every output);
   * otherwise nothing — the record says how it ended.
   */
  async end(gpuEnding?: ComfyMessage): Promise<void> {
    if (gpuEnding) await this.emit(gpuEnding);
  }

  private async deliver(path: string, tag: Untagged, node: OutputNode | undefined, stat: FileStat) {
    // ComfyUI runs one node at a time: this node is running now (and one seen before has finished).
    if (!this.announced.has(tag.nodeId)) {
      this.announced.add(tag.nodeId);
      await this.ctx.evidence({ kind: 'node_running', nodeId: tag.nodeId });
    }
    const key = outputKey(node, tag.extension);
    const item = await storeTaggedFile(this.ctx, path, tag, node, key);
    const storedAt = Date.now();
    const output = this.outputs.get(tag.nodeId) ?? {};
    const list = (output[key] ??= []);
    if (!list.some((known) => JSON.stringify(known) === JSON.stringify(item))) list.push(item);
    if (node?.animated) output.animated = [true];
    this.outputs.set(tag.nodeId, output);
    // Cumulative: a batch's later files re-send the node's whole list, as ComfyUI's single executed holds it.
    await this.ctx.evidence({
      kind: 'output',
      nodeId: tag.nodeId,
      output: structuredClone(output),
    });
    this.metrics.output(stat.mtimeMs, stat.seenAt, storedAt, Date.now());
  }
}

/** One tagged file on the shared volume, stored for the user under its node's output key (history and agent paths alike). */
export function storeTaggedFile(
  ctx: RunContext,
  path: string,
  tag: Untagged,
  node: OutputNode | undefined,
  key: string,
) {
  return ctx.storeOutput({
    nodeId: tag.nodeId,
    key,
    type: node?.deliverAs ?? 'output',
    originalPrefix: tag.originalPrefix,
    source: { path },
    extension: tag.extension,
    ...(node?.animated ? { extra: { animated: true } } : {}),
  });
}
