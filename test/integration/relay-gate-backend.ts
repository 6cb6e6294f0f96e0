/**
 * @fileoverview A scriptable GPU for queue tests: a real Backend whose jobs run until the test
 * releases them, recording the order they started in. Makes dispatch order deterministic.
 */
import type { Backend, RunContext, RunnableJob, RunResult } from '../../relay/src/backends/backend';
import type { BackendSet } from '../../relay/src/backends/factory';

export class GateBackend implements Backend {
  readonly kind = 'simulated' as const;
  readonly started: string[] = [];
  private readonly waiting = new Map<string, (status: RunResult['status']) => void>();

  constructor(
    readonly name: string,
    private slots: number,
  ) {}

  capacity(): number {
    return this.slots;
  }
  state() {
    return 'ready' as const;
  }

  async run(job: RunnableJob, ctx: RunContext): Promise<RunResult> {
    this.started.push(job.id);
    await ctx.markSubmitAttempted('gate');
    await ctx.markSubmitted('gate');
    await ctx.phase('running');
    await ctx.emit({ type: 'execution_start', data: { prompt_id: job.id, timestamp: Date.now() } });
    const status = await new Promise<RunResult['status']>((resolve, reject) => {
      this.waiting.set(job.id, resolve);
      // A stop that came while the steps above were being written has already fired its event.
      if (ctx.signal.aborted) reject(new Error('aborted'));
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    this.waiting.delete(job.id);
    return { status, outputs: {}, cachedNodes: [], executedNodes: [], statusMessages: [] };
  }

  running(): string[] {
    return [...this.waiting.keys()];
  }

  release(jobId: string, status: RunResult['status'] = 'success'): boolean {
    const resolve = this.waiting.get(jobId);
    resolve?.(status);
    return !!resolve;
  }

  async cancel(jobId: string): Promise<void> {
    this.release(jobId, 'interrupted');
  }

  async objectInfo(): Promise<Record<string, unknown>> {
    return { SaveImage: { input: { required: {} }, output: [], name: 'SaveImage' } };
  }

  async close(): Promise<void> {}

  asSet(): BackendSet {
    return { backends: [this], close: async () => undefined };
  }
}
