/**
 * @fileoverview One serverless attempt followed from evidence (DESIGN.md §3, the path for replicas
 * without the agent): files arriving in the job's SFS folder are stored and announced as they
 * come, history is polled on the side, and the end is decided from evidence — history says done,
 * or every output node delivered and the folder stayed quiet, or the timeout, with a message that
 * says what was and was not seen.
 */
import { posix, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { JobError, NodeUiOutput } from '../../../../protocol/src/index';
import type { RunContext, RunnableJob, RunResult } from '../backend';
import { TAG_ROOT, untag, type OutputNode } from '../tagging';
import { Deliveries, type FileStat } from './delivery';
import type { EndpointClient } from './endpoint';
import {
  evidenceFromHistory,
  pause,
  sendCancel,
  timeoutMessage,
  waitForFile,
  type Polls,
} from './evidence';
import type { HistoryEvidence } from './history';
import { jobErrorFromPayload, jobLevelError, stamped, upstreamOf } from './messages';
import type { Metrics } from './metrics';

export type EvidenceConfig = {
  sfsOutputDir: string;
  historyPollMs: number;
  settleMs: number;
  jobTimeoutMs: number;
  cancelGraceMs: number;
  missingOutputGraceMs: number;
  resumeProbeMs: number;
};

export type EvidenceDeps = {
  config: EvidenceConfig;
  endpoint: EndpointClient;
  metrics: Metrics;
  log: Logger;
  /** Aborted when the backend closes. */
  closing: AbortSignal;
};

type Ending = 'history' | 'settled' | 'timeout' | 'cancelled' | 'failed';

export class EvidenceRun {
  readonly out: Deliveries;
  private readonly stop = new AbortController();
  private cancelAt = 0;
  private history: HistoryEvidence | null = null;
  private readonly polls: Polls = { count: 0, misses: 0, errors: 0, lastError: '' };
  private wake: () => void = () => {};
  /** When the GPU accepted this attempt; set by `follow`. */
  acceptedAt = 0;

  constructor(
    private readonly job: RunnableJob,
    private readonly ctx: RunContext,
    private readonly deps: EvidenceDeps,
    private readonly prompt: Record<string, unknown>,
    outputNodes: OutputNode[],
    /** Output nodes whose files must arrive before the folder may settle. */
    private expected: string[],
    private readonly promptId: string,
  ) {
    this.out = new Deliveries(job.id, ctx, deps.metrics, () => this.wake());
    this.out.nodes = new Map(outputNodes.map((n) => [n.nodeId, n]));
  }

  /** A file of this attempt arrived in the job's folder. */
  accept(path: string, rel: string, stat: FileStat): void {
    this.out.accept(path, rel, stat);
  }

  /** History seen while probing before this run started (a resumed job). */
  seed(history: HistoryEvidence | null): void {
    this.history ??= history;
  }

  /** Follow the submitted attempt to its end. */
  async follow(acceptedAt: number, rejectedNodes: string[]): Promise<RunResult> {
    this.acceptedAt = acceptedAt;
    this.expected = this.expected.filter((id) => !rejectedNodes.includes(id));
    try {
      await this.ctx.phase('running');
      await this.out.started();
      void this.pollHistory();
      return await this.finish(await this.waitForEvidence());
    } finally {
      this.stop.abort();
    }
  }

  /** Ask the GPU to stop the job; the run ends `interrupted` when history confirms or after a grace. */
  async cancel(): Promise<void> {
    if (!this.cancelAt) this.cancelAt = Date.now();
    this.wake();
    await this.askToStop();
  }

  /** Interrupt/dequeue on the GPU; repeats outlive this run (bounded), since the run may end before they land. */
  private askToStop(): Promise<void> {
    return sendCancel(this.deps.endpoint, this.promptId, this.deps.log, {
      signal: this.deps.closing,
      confirmed: () => this.history !== null,
    });
  }

  private async pollHistory(): Promise<void> {
    const { endpoint, config, metrics } = this.deps;
    while (!this.stop.signal.aborted && !this.history) {
      const started = Date.now();
      this.history = await evidenceFromHistory(
        endpoint,
        this.promptId,
        this.polls,
        metrics,
        this.stop.signal,
      );
      if (this.history) this.wake();
      else
        await pause(Math.max(0, config.historyPollMs - (Date.now() - started)), this.stop.signal);
    }
  }

  private async waitForEvidence(): Promise<Ending> {
    const { settleMs, jobTimeoutMs, cancelGraceMs } = this.deps.config;
    // A resumed job whose deadline passed while the relay was down still gets one probe's worth of looking.
    const deadline = Math.max(
      this.acceptedAt + jobTimeoutMs,
      Date.now() + Math.min(jobTimeoutMs, this.deps.config.resumeProbeMs),
    );
    for (;;) {
      const now = Date.now();
      if (this.ctx.signal.aborted && !this.cancelAt) {
        const reason: unknown = this.ctx.signal.reason;
        throw reason instanceof Error ? reason : new Error(`run stopped (${String(reason)})`);
      }
      if (this.history) return 'history';
      if (this.out.failure) return 'failed';
      if (this.cancelAt) {
        if (now - this.cancelAt >= cancelGraceMs) return 'cancelled';
      } else if (
        this.expected.length > 0 &&
        this.out.pending === 0 &&
        now - this.out.lastFileAt >= settleMs &&
        this.expected.every((id) => this.out.outputs.has(id))
      )
        return 'settled';
      if (now >= deadline) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(250, Math.max(20, settleMs / 4)));
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  private async finish(ending: Ending): Promise<RunResult> {
    if (ending === 'history' && this.history) return this.fromHistory(this.history);
    await this.out.drain();
    if (this.out.failure) return this.fail(this.out.failure);
    if (ending === 'settled') return this.succeed([], []);
    if (ending === 'cancelled') {
      return this.interrupted(
        `cancelled; the GPU was asked to stop and did not confirm within ${Math.round(this.deps.config.cancelGraceMs / 1000)} s`,
      );
    }
    void this.askToStop();
    const delivered = [...this.out.outputs.keys()];
    const missing = this.expected.filter((id) => !this.out.outputs.has(id));
    const seconds = Math.round((Date.now() - this.acceptedAt) / 1000);
    return this.fail(
      jobLevelError('Timeout', timeoutMessage(this.polls, delivered, missing, seconds)),
    );
  }

  private async fromHistory(h: HistoryEvidence): Promise<RunResult> {
    const { sfsOutputDir, missingOutputGraceMs } = this.deps.config;
    const missing: string[] = [];
    const ours = `${TAG_ROOT}/${this.job.id}/`;
    const listed = h.files.filter(
      (f) => f.type === 'output' && posix.join(f.subfolder, f.filename).startsWith(ours),
    );
    // History can be ahead of the watcher (NFS attribute caches, polling): take listed files straight from disk.
    for (const file of listed) {
      const rel = posix.join(file.subfolder, file.filename);
      if (!untag(rel)) continue;
      const path = resolve(sfsOutputDir, ...rel.split('/'));
      if (this.out.has(path)) continue;
      if (missing.length === 0) await this.ctx.phase('fetching_outputs');
      const stat = await waitForFile(path, missingOutputGraceMs, this.stop.signal);
      if (stat) this.out.accept(path, rel, { mtimeMs: stat.mtimeMs, seenAt: Date.now() });
      else missing.push(rel);
    }
    await this.out.drain();
    if (this.out.failure) return this.fail(this.out.failure);
    // Outputs that are not files (text …) exist only in history: announce them now.
    for (const [nodeId, extra] of Object.entries(h.extras)) {
      const output = { ...(this.out.outputs.get(nodeId) ?? {}), ...extra };
      if (h.files.some((f) => f.nodeId === nodeId)) this.out.outputs.set(nodeId, output);
      else await this.out.announce(nodeId, output);
    }
    if (h.cachedNodes.length)
      await this.out.emit(stamped('execution_cached', this.job.id, { nodes: h.cachedNodes }));
    const messages = h.messages.map(([type, data]): [string, Record<string, unknown>] => [
      type,
      { ...data, prompt_id: this.job.id },
    ]);
    if (h.outcome === 'success' && missing.length === 0)
      return this.succeed(h.cachedNodes, messages);
    if (h.outcome === 'success') {
      const error = jobLevelError(
        'OutputsMissing',
        `the GPU finished but ${missing.length} output file(s) never appeared in SFS_OUTPUT_DIR (${missing.slice(0, 3).join(', ')}); is it the GPU's output folder?`,
      );
      return this.fail(error, h.cachedNodes);
    }
    const terminal: Record<string, unknown> = { ...(h.terminal ?? {}), prompt_id: this.job.id };
    const nodeId = terminal.node_id == null ? '' : String(terminal.node_id);
    const userClass = this.out.nodes.get(nodeId)?.classType;
    if (userClass) terminal.node_type = userClass; // PreviewImage ran as SaveImage; the user knows it as PreviewImage
    if (h.outcome === 'interrupted') {
      await this.out.end({ type: 'execution_interrupted', data: terminal });
      return this.result('interrupted', h.cachedNodes, messages);
    }
    const error = jobErrorFromPayload(terminal, (id) => this.out.nodes.get(id)?.classType);
    await this.out.end({ type: 'execution_error', data: terminal });
    if (typeof terminal.timestamp === 'number')
      this.deps.metrics.gpuError(terminal.timestamp, Date.now());
    const executedNodes = Array.isArray(terminal.executed) ? terminal.executed.map(String) : [];
    return { ...this.result('error', h.cachedNodes, messages, executedNodes), error };
  }

  // The endings below are the relay's own findings: the record carries them (state, error), and the
  // sidecar's sequence writes ComfyUI's ending and history messages from it. Only history's (the
  // GPU's) messages are passed on as they were said.
  private async succeed(
    cached: string[],
    messages: [string, Record<string, unknown>][],
  ): Promise<RunResult> {
    await this.out.end();
    return this.result('success', cached, messages);
  }

  /** End the attempt as failed with a relay-established error (timeout, GPU down, path escape …). */
  async fail(error: JobError, cached: string[] = []): Promise<RunResult> {
    const executedNodes = [...this.out.outputs.keys()];
    await this.out.end();
    this.deps.log.warn({ reason: error.message }, 'serverless job failed');
    return { ...this.result('error', cached, [], executedNodes), error };
  }

  /** End the attempt as interrupted (cancelled before the GPU had it, or unconfirmed). */
  async interrupted(reason: string): Promise<RunResult> {
    const executedNodes = [...this.out.outputs.keys()];
    await this.out.end();
    this.deps.log.info({ reason }, 'serverless job interrupted');
    return this.result('interrupted', [], [], executedNodes);
  }

  private result(
    status: RunResult['status'],
    cachedNodes: string[],
    statusMessages: [string, Record<string, unknown>][],
    executedNodes?: string[],
  ): RunResult {
    const outputs: Record<string, NodeUiOutput> = Object.fromEntries(this.out.outputs);
    const ran =
      executedNodes ??
      upstreamOf(this.prompt, this.expected).filter((id) => !cachedNodes.includes(id));
    return { status, outputs, cachedNodes, executedNodes: ran, statusMessages };
  }
}
