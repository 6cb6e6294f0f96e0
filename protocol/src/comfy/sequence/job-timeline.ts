/**
 * @fileoverview One job's ComfyUI message sequence, as a pure state machine over its facts
 * (facts.ts). It writes exactly what a local ComfyUI sends the tab (comfyui-protocol.md §2.5):
 *
 *   status → execution_start → execution_cached → per node: progress_state(running) → executing →
 *   [progress…] → [executed] → progress_state(finished) → ending → status → executing {node: null}
 *
 * The GPU's own messages are passed through in their order; what the GPU did not say is written
 * from the facts the relay established (evidence) or recorded (the job record): a start, the
 * cached nodes, nodes known to have run, outputs, the ending. The GPU's ending is held until the
 * record says the job ended, so the API already shows the job when the tab refetches. The state is
 * plain data (persisted by the sidecar across restarts); nothing here reads a clock.
 */
import { hasStarted, terminalMessage, terminalTypeOf, isTerminalType } from './terminal';
import type { ComfyMessage, JobFact, JobRecord } from './facts';
import type { SequenceTraits } from './version';

type NodeProgress = {
  value: number;
  max: number;
  state: 'running' | 'finished';
  [key: string]: unknown;
};

export type TimelineState = {
  jobId: string;
  clientId: string;
  /** ComfyUI's enqueue `status` went out (the job counts in queue_remaining from there). */
  announced?: boolean;
  started: boolean;
  cachedSent: boolean;
  ended: boolean;
  /** Node-level messages went out (then the record's nodes are not narrated again). */
  nodesSent: boolean;
  /** Nodes whose `executed` went out. */
  executed: string[];
  /** The cumulative `progress_state` map as last sent. */
  progress: Record<string, NodeProgress>;
  /** The node running now, for a tab that reconnects (ComfyUI's `executing {node}`). */
  runningNode?: string;
  /** The GPU's ending, held until the record has ended. */
  pendingTerminal?: ComfyMessage;
  /** The last relay event applied: events replayed after a restart are not applied twice. */
  lastEventId?: string;
};

/** A step of the sequence: a message, or a `status` broadcast (`selfActive`: this job still counts in queue_remaining). */
export type Step =
  { kind: 'message'; message: ComfyMessage } | { kind: 'status'; selfActive: boolean };

export function newTimeline(jobId: string, clientId: string): TimelineState {
  return {
    jobId,
    clientId,
    started: false,
    cachedSent: false,
    ended: false,
    nodesSent: false,
    executed: [],
    progress: {},
  };
}

const send = (message: ComfyMessage): Step => ({ kind: 'message', message });
const startedAt = (record: JobRecord | undefined) => record?.startedAt ?? record?.createdAt ?? 0;

export class JobTimeline {
  constructor(
    readonly state: TimelineState,
    private readonly traits: SequenceTraits,
  ) {}

  private get id() {
    return this.state.jobId;
  }

  /**
   * ComfyUI announces a prompt once, when it is queued: the first time this user's job is known
   * (its submit, or its record if the relay's word arrived first — a job the relay finished at once).
   */
  enqueue(): Step[] {
    if (this.state.announced) return [];
    this.state.announced = true;
    return [{ kind: 'status', selfActive: true }];
  }

  /** A message the GPU sent for this job. */
  gpu(message: ComfyMessage, record: JobRecord | undefined): Step[] {
    const s = this.state;
    if (s.ended) return [];
    const { type, data } = message;
    const at = typeof data.timestamp === 'number' ? data.timestamp : startedAt(record);
    if (type === 'status' || (type === 'executing' && data.node === null)) return []; // written by the sequence itself
    if (type === 'execution_start') return this.start(at, message);
    if (type === 'execution_cached') return [...this.start(at), ...this.cached(at, [], message)];
    const opening = this.opening(record, at);
    if (isTerminalType(type)) {
      s.pendingTerminal = message;
      return opening;
    }
    if (type === 'executing' && typeof data.node === 'string') s.runningNode = data.node;
    if (type === 'executed' && typeof data.node === 'string' && !s.executed.includes(data.node))
      s.executed.push(data.node);
    if (type === 'progress_state') {
      s.progress = structuredClone(data.nodes ?? {}) as Record<string, NodeProgress>;
      if (!this.traits.progressState) return opening;
    }
    if (['executing', 'executed', 'progress', 'progress_state'].includes(type)) s.nodesSent = true;
    return [...opening, send(message)];
  }

  /** Evidence the relay established without a GPU message. */
  evidence(fact: JobFact, record: JobRecord | undefined): Step[] {
    if (this.state.ended) return [];
    if (fact.kind === 'started') return this.opening(record, fact.at);
    const steps = this.opening(record, startedAt(record));
    steps.push(...this.nodeRunning(fact.nodeId));
    if (fact.kind === 'output') steps.push(...this.executedStep(fact.nodeId, fact.output));
    return steps;
  }

  /**
   * The record ended: what the tab has not been told yet, then the ending. `othersPending` is how
   * many of this user's other jobs still wait: ComfyUI announces the queue twice when its last
   * pending prompt is deleted (wipe_queue, then delete_queue_item).
   */
  end(record: JobRecord, othersPending: number): Step[] {
    const s = this.state;
    if (s.ended || !terminalTypeOf(record.state)) return [];
    if (!s.started && record.state === 'cancelled' && !hasStarted(record)) {
      this.close();
      const status: Step = { kind: 'status', selfActive: false };
      return othersPending === 0 ? [status, status] : [status];
    }
    const steps = this.opening(record, startedAt(record));
    if (!s.nodesSent) steps.push(...this.narrate(record));
    if (record.state === 'done') {
      for (const [nodeId, output] of Object.entries(record.outputs)) {
        if (s.executed.includes(nodeId)) continue;
        if (!record.cachedNodes.includes(nodeId)) steps.push(...this.nodeRunning(nodeId));
        steps.push(...this.executedStep(nodeId, output));
        if (record.cachedNodes.includes(nodeId)) steps.push(...this.finished([nodeId]));
      }
      steps.push(...this.finished(Object.keys(s.progress)));
    }
    const pending = s.pendingTerminal;
    const ending =
      pending && pending.type === terminalTypeOf(record.state) ? pending : terminalMessage(record);
    this.close();
    if (ending) steps.push(send(ending));
    steps.push(
      { kind: 'status', selfActive: false },
      send({ type: 'executing', data: { node: null, prompt_id: this.id } }),
    );
    return steps;
  }

  /** ComfyUI's words to a reconnecting tab of the client running this job: `executing {node}` without a prompt id. */
  reconnectFrame(): ComfyMessage | undefined {
    const s = this.state;
    return s.started && !s.ended && s.runningNode
      ? { type: 'executing', data: { node: s.runningNode } }
      : undefined;
  }

  private start(at: number, message?: ComfyMessage): Step[] {
    if (this.state.started) return [];
    this.state.started = true;
    return [
      { kind: 'status', selfActive: true },
      send(message ?? { type: 'execution_start', data: { prompt_id: this.id, timestamp: at } }),
    ];
  }

  private cached(at: number, nodes: readonly string[], message?: ComfyMessage): Step[] {
    if (this.state.cachedSent) return [];
    this.state.cachedSent = true;
    return [
      send(
        message ?? {
          type: 'execution_cached',
          data: { nodes: [...nodes], prompt_id: this.id, timestamp: at },
        },
      ),
    ];
  }

  /** `execution_start` and `execution_cached`, if the tab has not had them. */
  private opening(record: JobRecord | undefined, at: number): Step[] {
    return [...this.start(at), ...this.cached(at, record?.cachedNodes ?? [])];
  }

  /**
   * Nodes the record says ran, when the tab saw none of them run (a cached rerun answered without
   * the GPU, a failure established by the relay): each as ComfyUI runs a node, then the node that
   * was running when the job failed or was interrupted.
   */
  private narrate(record: JobRecord): Step[] {
    const steps: Step[] = [];
    for (const nodeId of record.executedNodes) {
      if (record.cachedNodes.includes(nodeId)) continue;
      steps.push(...this.nodeRunning(nodeId));
      const output = record.outputs[nodeId];
      if (output) steps.push(...this.executedStep(nodeId, output));
      steps.push(...this.finished([nodeId]));
    }
    const stoppedAt =
      record.state === 'failed'
        ? record.error?.nodeId
        : record.state === 'cancelled'
          ? record.progress?.nodeId
          : undefined;
    if (stoppedAt && !this.state.progress[stoppedAt]) steps.push(...this.nodeRunning(stoppedAt));
    if (record.state === 'done') {
      for (const nodeId of record.outputsToExecute) {
        if (!record.cachedNodes.includes(nodeId) || this.state.executed.includes(nodeId)) continue;
        steps.push(...this.executedStep(nodeId, record.outputs[nodeId] ?? null));
        steps.push(...this.finished([nodeId]));
      }
    }
    return steps;
  }

  /** A node starts: every node running before it has finished (ComfyUI runs one at a time). */
  private nodeRunning(nodeId: string): Step[] {
    const s = this.state;
    if (s.progress[nodeId]) return [];
    for (const node of Object.values(s.progress))
      if (node.state === 'running') Object.assign(node, { value: node.max, state: 'finished' });
    s.progress[nodeId] = this.progressEntry(nodeId, 0, 'running');
    s.runningNode = nodeId;
    s.nodesSent = true;
    return [
      ...this.progressStep(),
      send({ type: 'executing', data: { node: nodeId, display_node: nodeId, prompt_id: this.id } }),
    ];
  }

  private executedStep(nodeId: string, output: Record<string, unknown> | null): Step[] {
    const s = this.state;
    if (!s.executed.includes(nodeId)) s.executed.push(nodeId);
    s.nodesSent = true;
    return [
      send({
        type: 'executed',
        data: { node: nodeId, display_node: nodeId, output, prompt_id: this.id },
      }),
    ];
  }

  /** `progress_state` with these nodes finished; nothing when none of them changed. */
  private finished(nodeIds: readonly string[]): Step[] {
    const s = this.state;
    let changed = false;
    for (const nodeId of nodeIds) {
      const node = s.progress[nodeId];
      if (node?.state === 'finished') continue;
      if (node) Object.assign(node, { value: node.max, state: 'finished' });
      else s.progress[nodeId] = this.progressEntry(nodeId, 1, 'finished');
      changed = true;
    }
    if (!changed) return [];
    s.nodesSent = true;
    return this.progressStep();
  }

  private progressEntry(nodeId: string, value: number, state: NodeProgress['state']): NodeProgress {
    return {
      value,
      max: 1,
      state,
      node_id: nodeId,
      prompt_id: this.id,
      display_node_id: nodeId,
      parent_node_id: null,
      real_node_id: nodeId,
    };
  }

  private progressStep(): Step[] {
    if (!this.traits.progressState) return [];
    return [
      send({
        type: 'progress_state',
        data: { prompt_id: this.id, nodes: structuredClone(this.state.progress) },
      }),
    ];
  }

  /** Ended: only what keeps replayed events ignored is kept (the state is saved often). */
  private close(): void {
    const s = this.state;
    s.ended = true;
    s.pendingTerminal = undefined;
    s.progress = {};
    s.executed = [];
    s.runningNode = undefined;
  }
}
