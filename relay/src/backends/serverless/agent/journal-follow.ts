/**
 * @fileoverview One attempt of a serverless job followed through its replica's journal: every
 * ComfyUI message is forwarded as the replica sent it (prompt_id is already the job id), previews
 * go out live, `executed` only after its files are in the user's store, and the outcome is read
 * from the replica's own terminal message — nothing is made up here. The run's result (outputs,
 * cached and executed nodes, history status messages, the error) is built from the same records.
 */
import type { Logger } from 'pino';
import {
  isTerminalType,
  type JobError,
  type JournalRecord,
  type NodeUiOutput,
} from '../../../../../protocol/src/index';
import type { RunContext, RunResult } from '../../backend';
import type { OutputNode } from '../../tagging';
import { jobErrorFromPayload } from '../messages';
import type { Metrics } from '../metrics';
import type { JournalReader } from './journal-reader';
import { storeExecutedOutput, type OutputDeps } from './outputs';

/** After the terminal message, how long ComfyUI's `executing {node: null}` is waited for. */
const END_MARKER_WAIT_MS = 1000;

export type FollowOutcome =
  /** The replica's terminal message (and the end marker) arrived. */
  | { kind: 'ended'; result: RunResult }
  /** The agent took the pending job out of the queue on a cancel marker: no ComfyUI message follows. */
  | { kind: 'dequeued' };

export type FollowDeps = Omit<OutputDeps, 'logger'> & {
  reader: JournalReader;
  logger: Logger;
  metrics: Metrics;
  /**
   * A relay taking over a job (resume): what the journal already holds was forwarded by the relay
   * that died, so it is taken in silently (outputs stored, state rebuilt) — except the end, which
   * that relay cannot have sent (it finishes the job in Redis first).
   */
  catchUp?: boolean;
};

export class JournalFollow {
  outcome: FollowOutcome | undefined;
  /** Relay clock of the last record handled (ms epoch); 0 before any. */
  lastRecordAt = 0;
  started = false;
  private terminal: { type: string; data: Record<string, unknown>; at: number } | undefined;
  private endMarker = false;
  private readonly outputs: Record<string, NodeUiOutput> = {};
  private readonly cached = new Set<string>();
  private readonly executed = new Set<string>();
  private readonly statusMessages: [string, Record<string, unknown>][] = [];
  private readonly outputNodes: Map<string, OutputNode>;
  private catchingUp: boolean;

  constructor(private readonly deps: FollowDeps) {
    this.outputNodes = deps.outputNodes;
    this.catchingUp = deps.catchUp ?? false;
  }

  get ctx(): RunContext {
    return this.deps.ctx;
  }

  /** The replica holding this attempt, as its journal's folder names it. */
  get replica(): string | undefined {
    return this.deps.reader.replica;
  }

  get found(): boolean {
    return this.deps.reader.found;
  }

  /** Read what is new and forward it; sets `outcome` once the attempt has ended. */
  async step(): Promise<void> {
    if (this.outcome) return;
    const silent = this.catchingUp;
    const records = await this.deps.reader.read();
    if (this.deps.reader.found) this.catchingUp = false; // caught up with what was there at the takeover
    for (const record of records) {
      this.lastRecordAt = Date.now();
      await this.handle(record, silent);
      if (this.outcome) return;
    }
    if (this.terminal && !this.endMarker && Date.now() - this.terminal.at >= END_MARKER_WAIT_MS)
      this.end();
  }

  private async handle(record: JournalRecord, silent: boolean): Promise<void> {
    if (record.kind === 'preview') {
      if (silent) return;
      const { node_id, display_node_id, parent_node_id, real_node_id } = record.meta;
      this.ctx.preview(node_id, Buffer.from(record.image, 'base64'), record.mime, {
        display_node_id,
        parent_node_id,
        real_node_id,
      });
      return;
    }
    if (record.kind === 'agent') {
      if (record.event === 'cancel' && record.outcome === 'dequeued')
        this.outcome = { kind: 'dequeued' };
      return;
    }
    if (record.kind !== 'message') return; // progress text: the agent log shows it
    const { type } = record;
    const data = { ...record.data };
    if (type === 'execution_start') {
      if (!this.started && !silent) await this.ctx.phase('running');
      this.started = true;
      this.statusMessages.push([type, data]);
    } else if (type === 'execution_cached') {
      for (const node of Array.isArray(data.nodes) ? data.nodes : []) this.cached.add(String(node));
      this.statusMessages.push([type, data]);
    } else if (type === 'executing' && data.node != null) {
      this.executed.add(String(data.node));
    } else if (type === 'executed') {
      const nodeId = String(data.node);
      data.output = await storeExecutedOutput(data.output, {
        ...this.deps,
        logger: this.deps.logger,
      });
      if (data.output)
        this.outputs[nodeId] = {
          ...(this.outputs[nodeId] ?? {}),
          ...(data.output as NodeUiOutput),
        };
      this.executed.add(nodeId);
    } else if (isTerminalType(type)) {
      // PreviewImage ran as a tagged SaveImage: the user knows the node by its own class.
      const userClass = this.outputNodes.get(String(data.node_id ?? ''))?.classType;
      if (userClass && 'node_type' in data) data.node_type = userClass;
      this.terminal = { type, data, at: Date.now() };
      this.statusMessages.push([type, data]);
      if (type === 'execution_error' && typeof data.timestamp === 'number')
        this.deps.metrics.gpuError(data.timestamp, Date.now());
    }
    const end = isTerminalType(type) || (type === 'executing' && data.node == null);
    if (!silent || end) await this.ctx.emit({ type, data });
    if (type === 'executing' && data.node == null && this.terminal) {
      this.endMarker = true;
      this.end();
    }
  }

  private end(): void {
    const terminal = this.terminal;
    if (!terminal || this.outcome) return;
    const status =
      terminal.type === 'execution_success'
        ? 'success'
        : terminal.type === 'execution_interrupted'
          ? 'interrupted'
          : 'error';
    const result: RunResult = {
      status,
      outputs: this.outputs,
      cachedNodes: [...this.cached],
      executedNodes: [...this.executed],
      statusMessages: this.statusMessages,
    };
    if (status === 'error') result.error = this.error(terminal.data);
    this.outcome = { kind: 'ended', result };
  }

  private error(data: Record<string, unknown>): JobError {
    return jobErrorFromPayload(data, (id) => this.outputNodes.get(id)?.classType);
  }
}
