/**
 * @fileoverview One serverless job from submit to its end, attempt by attempt.
 *
 * Each attempt is tagged (attempt ≥ 2 under `@<n>/`), submitted with the agent's marker in
 * `extra_data`, then followed one of two ways, chosen per job without any operator flag:
 * - the replica has the agent (its journal appears, or a heartbeat lists the job): its own stream
 *   is forwarded (agent/journal-follow.ts) and its heartbeat watched; if it dies holding the job,
 *   the job is resubmitted once under the same id (the dead attempt's files told apart by their
 *   tag, its replica told to stop by a marker) or fails with the reason;
 * - no agent (none alive, or none claimed the job within AGENT_CLAIM_MS): the evidence path
 *   (evidence-run.ts) — watcher, history polls, settle, timeout.
 */
import type { Logger } from 'pino';
import { MARKER_KEY, type JobError } from '../../../../protocol/src/index';
import type { OutputWatcher, WatchedFile } from '../../outputs/watcher';
import { attemptOf, backendRefOf } from '../attempt-ref';
import type { RunContext, RunnableJob, RunResult } from '../backend';
import { TaggingError, tagPrompt, untag, type TaggedPrompt } from '../tagging';
import { AgentAttempt } from './agent/agent-attempt';
import { writeCancelMarker } from './agent/cancel-marker';
import type { AgentFleet } from './agent/fleet';
import { JournalFollow } from './agent/journal-follow';
import { JournalReader } from './agent/journal-reader';
import type { EndpointClient } from './endpoint';
import { pause, probeForJob } from './evidence';
import { EvidenceRun, type EvidenceConfig } from './evidence-run';
import { jobLevelError } from './messages';
import type { Metrics } from './metrics';
import { submitOnce, type SubmitConfig } from './submission';

export type AgentRunConfig = {
  /** How often a job's journal is read. */
  pollMs: number;
  /** How long after the GPU accepted a job an agent has to claim it before the evidence path is taken. */
  claimMs: number;
  /** A replica whose heartbeat did not change for this long is dead. */
  staleMs: number;
  /** Resubmits after a replica died holding the job (the "once"). */
  maxResubmits: number;
};

export type RunConfig = SubmitConfig & EvidenceConfig & { agent: AgentRunConfig };

export type RunDeps = {
  config: RunConfig;
  endpoint: EndpointClient;
  watcher: OutputWatcher;
  metrics: Metrics;
  logger: Logger;
  /** Aborted when the backend closes. */
  closing: AbortSignal;
  /** The replicas with the agent; absent = the evidence path only. */
  fleet?: AgentFleet;
};

type Current =
  | { kind: 'undecided'; files: WatchedFile[] }
  | { kind: 'evidence'; run: EvidenceRun }
  | { kind: 'agent'; attempt: AgentAttempt };
type Ended = { kind: 'result'; result: RunResult } | { kind: 'died'; replica: string; why: string };

export class JobRun {
  private readonly log: Logger;
  private attempt: number;
  private current: Current = { kind: 'undecided', files: [] };
  private cancelAt = 0;

  constructor(
    private readonly job: RunnableJob,
    private readonly ctx: RunContext,
    private readonly deps: RunDeps,
  ) {
    this.log = ctx.logger.child({ backend: 'serverless' });
    this.attempt = attemptOf(job.resume?.backendRef);
  }

  async run(): Promise<RunResult> {
    const unwatch = await this.deps.watcher.watchJob(this.job.id, (file) => this.onFile(file));
    try {
      let resume = this.job.resume;
      // A resubmit whose POST may not have landed: decide like any unconfirmed submit.
      if (resume?.submittedAt && (resume.submitAttemptedAt ?? 0) > resume.submittedAt)
        resume = { ...resume, submittedAt: undefined };
      const deaths: string[] = [];
      for (;;) {
        const ended = await this.runAttempt(resume);
        if (ended.kind === 'result') return ended.result;
        deaths.push(`attempt ${this.attempt} on replica ${ended.replica}: ${ended.why}`);
        this.log.warn(
          { attempt: this.attempt, replica: ended.replica, why: ended.why },
          'the GPU replica holding the job died',
        );
        this.stopAttempt('superseded');
        if (this.attempt > this.deps.config.agent.maxResubmits)
          return this.failed(this.deathError(deaths));
        this.attempt += 1;
        resume = undefined;
      }
    } finally {
      await unwatch();
    }
  }

  /** Stop the job: a marker for a replica with the agent, interrupt bursts for one without. */
  async cancel(): Promise<void> {
    if (!this.cancelAt) this.cancelAt = Date.now();
    const current = this.current;
    if (current.kind === 'evidence') await current.run.cancel();
    else {
      if (this.deps.fleet?.anyLive()) this.stopAttempt('user');
      if (current.kind === 'agent') current.attempt.cancel();
    }
  }

  private async runAttempt(resume: RunnableJob['resume']): Promise<Ended> {
    const { config, fleet } = this.deps;
    this.current = { kind: 'undecided', files: [] };
    let tagged: TaggedPrompt;
    try {
      tagged = tagPrompt(this.job.prompt, this.job.id, { attempt: this.attempt });
    } catch (error) {
      if (!(error instanceof TaggingError)) throw error;
      const run = this.evidenceRun({ prompt: this.job.prompt, outputNodes: [] });
      const failure = {
        ...jobLevelError('PathEscape', error.message),
        nodeId: error.nodeId,
        nodeType: error.classType,
      };
      return { kind: 'result', result: await run.fail(failure) };
    }
    const evidence = this.evidenceRun(tagged);
    const reader = new JournalReader(config.sfsOutputDir, this.job.id, this.attempt, this.log);
    let probed: Parameters<EvidenceRun['seed']>[0] = null;
    const submitted = await submitOnce({
      job: { ...this.job, resume },
      ctx: this.ctx,
      taggedPrompt: tagged.prompt,
      extraData: {
        ...this.job.extraData,
        [MARKER_KEY]: { job: this.job.id, attempt: this.attempt },
      },
      backendRef: backendRefOf(this.job.id, this.attempt), // the job id for attempt 1, `<id>#<n>` after a resubmit
      endpoint: this.deps.endpoint,
      config,
      logger: this.log,
      sighted: async (ms) => (await reader.locate()) || this.probe(ms, (h) => (probed = h)),
      cancelled: () => this.cancelAt > 0,
    }).catch(async (error: unknown) => {
      if (this.cancelAt) return { kind: 'cancelled' as const };
      throw error;
    });
    if (submitted.kind === 'failed')
      return { kind: 'result', result: await evidence.fail(submitted.error) };
    if (submitted.kind === 'cancelled')
      return {
        kind: 'result',
        result: await evidence.interrupted('cancelled before it reached the GPU'),
      };

    if (fleet && (await this.claimedByAgent(reader, fleet))) {
      const follow = new JournalFollow({
        reader,
        jobId: this.job.id,
        attempt: this.attempt,
        ctx: this.ctx,
        outputNodes: new Map(tagged.outputNodes.map((n) => [n.nodeId, n])),
        sfsOutputDir: config.sfsOutputDir,
        missingOutputGraceMs: config.missingOutputGraceMs,
        metrics: this.deps.metrics,
        logger: this.log,
        signal: this.deps.closing,
        // Only a relay that had the GPU's answer was following the journal before it died.
        catchUp: submitted.resumed && Boolean(resume?.submittedAt),
      });
      const attempt = new AgentAttempt(follow, fleet, this.job.id, this.attempt, this.ctx, {
        pollMs: config.agent.pollMs,
        staleMs: config.agent.staleMs,
        cancelGraceMs: config.cancelGraceMs,
        jobTimeoutMs: config.jobTimeoutMs,
      });
      this.current = { kind: 'agent', attempt };
      if (this.cancelAt) {
        this.stopAttempt('user');
        attempt.cancel();
      }
      return this.agentEnded(await attempt.run(submitted.acceptedAt), attempt);
    }
    const files = this.current.kind === 'undecided' ? this.current.files : [];
    this.current = { kind: 'evidence', run: evidence };
    evidence.seed(probed);
    for (const file of files) evidence.accept(file.path, file.rel, file);
    if (this.cancelAt) void evidence.cancel();
    return {
      kind: 'result',
      result: await evidence.follow(submitted.acceptedAt, submitted.rejectedNodes),
    };
  }

  private async agentEnded(
    end: Awaited<ReturnType<AgentAttempt['run']>>,
    attempt: AgentAttempt,
  ): Promise<Ended> {
    const replica = attempt.replica ?? 'unknown';
    switch (end.kind) {
      case 'result':
      case 'died':
        return end;
      case 'dequeued':
        this.log.info({ replica }, 'the GPU replica took the cancelled job out of its queue');
        return { kind: 'result', result: this.bare('interrupted') };
      case 'cancel_unconfirmed':
        this.log.warn(
          { replica },
          `cancelled; the GPU replica did not confirm within ${Math.round(this.deps.config.cancelGraceMs / 1000)} s`,
        );
        return { kind: 'result', result: this.bare('interrupted') };
      case 'timeout': {
        this.stopAttempt('timeout');
        const seconds = Math.round(this.deps.config.jobTimeoutMs / 1000);
        const message = `the job did not finish within ${seconds} s (JOB_TIMEOUT_S) on GPU replica ${replica}, which is alive; it was asked to stop`;
        return { kind: 'result', result: this.failed(jobLevelError('Timeout', message)) };
      }
    }
  }

  /** Whether a replica with the agent has this attempt (its journal, or a heartbeat naming it). */
  private async claimedByAgent(reader: JournalReader, fleet: AgentFleet): Promise<boolean> {
    const deadline = Date.now() + this.deps.config.agent.claimMs;
    for (;;) {
      if (await reader.locate()) return true;
      if (fleet.holderOf(this.job.id, this.attempt)) return true;
      if (!fleet.anyLive() || Date.now() >= deadline || this.ctx.signal.aborted) return false;
      await pause(this.deps.config.agent.pollMs, this.ctx.signal);
    }
  }

  private onFile(file: WatchedFile): void {
    const tag = untag(file.rel);
    if (!tag || tag.attempt !== this.attempt) return; // a dead attempt's files are not this one's
    if (this.current.kind === 'evidence') this.current.run.accept(file.path, file.rel, file);
    else if (this.current.kind === 'undecided') this.current.files.push(file);
    // With the agent, `executed` in the journal says which files to store.
  }

  private probe(
    ms: number,
    onHistory: Parameters<typeof probeForJob>[0]['onHistory'],
  ): Promise<boolean> {
    return probeForJob({
      endpoint: this.deps.endpoint,
      promptId: this.job.id,
      ms,
      pollMs: this.deps.config.historyPollMs,
      signal: this.deps.closing,
      filesSeen: () => false,
      dir: this.deps.watcher.jobDir(this.job.id),
      onHistory,
    });
  }

  private stopAttempt(reason: 'user' | 'superseded' | 'timeout'): void {
    try {
      writeCancelMarker(this.deps.config.sfsOutputDir, this.job.id, this.attempt, reason);
    } catch (error) {
      this.log.warn(
        { err: (error as Error).message },
        'could not write the cancel marker on the shared volume',
      );
    }
  }

  private evidenceRun(tagged: Pick<TaggedPrompt, 'prompt' | 'outputNodes'>): EvidenceRun {
    const targets = this.job.outputsToExecute;
    const expected = tagged.outputNodes
      .filter((n) => n.deliverFiles && (targets.length === 0 || targets.includes(n.nodeId)))
      .map((n) => n.nodeId);
    const deps = {
      config: this.deps.config,
      endpoint: this.deps.endpoint,
      metrics: this.deps.metrics,
      log: this.log,
      closing: this.deps.closing,
    };
    return new EvidenceRun(
      this.job,
      this.ctx,
      deps,
      tagged.prompt,
      tagged.outputNodes,
      expected,
      this.job.id,
    );
  }

  private deathError(deaths: string[]): JobError {
    const tried =
      this.attempt === 1
        ? 'it was not resubmitted (AGENT_MAX_RESUBMITS=0)'
        : `it was resubmitted ${this.attempt - 1} time(s)`;
    return jobLevelError(
      'ReplicaDied',
      `the GPU replica running this job stopped responding and ${tried}: ${deaths.join('; ')}`,
    );
  }

  /** A failure with no ComfyUI message of ours: the scheduler ends the job in ComfyUI's shape. */
  private failed(error: JobError): RunResult {
    this.log.warn({ reason: error.message }, 'serverless job failed');
    return { ...this.bare('error'), error };
  }

  private bare(status: RunResult['status']): RunResult {
    return { status, outputs: {}, cachedNodes: [], executedNodes: [], statusMessages: [] };
  }
}
