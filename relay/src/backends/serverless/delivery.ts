/**
 * @fileoverview A serverless job's outputs as they arrive: each file is taken once (by path),
 * stored for the user, then announced with ComfyUI's own messages for its node, and every
 * message of the job goes out in one order — the final one after every `executed`.
 */
import pLimit from 'p-limit';
import type { JobError } from '../../../../protocol/src/index';
import type { RunContext } from '../backend';
import { outputKey, untag, type OutputNode, type Untagged } from '../tagging';
import { executed, executing, jobLevelError, NodeProgress, type ComfyMessage } from './messages';
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
  private readonly progress: NodeProgress;

  constructor(
    private readonly jobId: string,
    private readonly ctx: RunContext,
    private readonly metrics: Metrics,
    /** Called whenever a delivery ends (the run re-checks its evidence). */
    private readonly changed: () => void,
  ) {
    this.progress = new NodeProgress(jobId);
  }

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

  emit(message: ComfyMessage): Promise<void> {
    return this.serial(() => this.ctx.emit(message));
  }

  /** Set a node's UI output (history extras such as text) and announce it. */
  async announce(nodeId: string, output: Record<string, unknown[]>): Promise<void> {
    this.outputs.set(nodeId, output);
    await this.emit(executed(this.jobId, nodeId, output));
  }

  /**
   * End the job's messages: every node still running finished, the terminal message, then
   * ComfyUI's end-of-prompt `executing {node: null}`.
   */
  async end(terminal: ComfyMessage): Promise<void> {
    const finished = this.progress.finishAll();
    if (finished) await this.emit(finished);
    await this.emit(terminal);
    await this.emit({ type: 'executing', data: { node: null, prompt_id: this.jobId } });
  }

  private async deliver(path: string, tag: Untagged, node: OutputNode | undefined, stat: FileStat) {
    // ComfyUI runs one node at a time: this node is running now, and one seen before has finished.
    const started = this.progress.start(tag.nodeId);
    if (started) {
      await this.ctx.emit(started);
      await this.ctx.emit(executing(this.jobId, tag.nodeId));
    }
    const key = outputKey(node, tag.extension);
    const item = await this.ctx.storeOutput({
      nodeId: tag.nodeId,
      key,
      type: node?.deliverAs ?? 'output',
      originalPrefix: tag.originalPrefix,
      source: { path },
      extension: tag.extension,
      ...(node?.animated ? { extra: { animated: true } } : {}),
    });
    const storedAt = Date.now();
    const output = this.outputs.get(tag.nodeId) ?? {};
    const list = (output[key] ??= []);
    if (!list.some((known) => JSON.stringify(known) === JSON.stringify(item))) list.push(item);
    if (node?.animated) output.animated = [true];
    this.outputs.set(tag.nodeId, output);
    // Cumulative: a batch's later files re-send the node's whole list, as ComfyUI's single executed holds it.
    await this.ctx.emit(executed(this.jobId, tag.nodeId, structuredClone(output)));
    this.metrics.output(stat.mtimeMs, stat.seenAt, storedAt, Date.now());
  }
}
