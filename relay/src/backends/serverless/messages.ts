/**
 * @fileoverview Native ComfyUI messages for a serverless job, built only from evidence (a file
 * delivered, a history entry), never from guesses: there is no GPU WebSocket to forward, so there
 * is no per-step progress, only nodes that are known to have started or finished.
 */
import type { JobError } from '../../../../protocol/src/index';

export type ComfyMessage = { type: string; data: Record<string, unknown> };
type NodeState = { value: number; max: number; state: 'running' | 'finished' };

/**
 * The cumulative `progress_state` map of a job (ComfyUI sends every node touched so far). ComfyUI
 * runs one node at a time, so a file from a new node means the previous one has finished.
 */
export class NodeProgress {
  private readonly nodes = new Map<string, NodeState>();

  constructor(private readonly jobId: string) {}

  state(nodeId: string): NodeState['state'] | undefined {
    return this.nodes.get(nodeId)?.state;
  }

  /** Mark a node running (and any other running node finished); null when it already was. */
  start(nodeId: string): ComfyMessage | null {
    if (this.nodes.has(nodeId)) return null;
    for (const state of this.nodes.values())
      if (state.state === 'running') Object.assign(state, { value: 1, state: 'finished' });
    this.nodes.set(nodeId, { value: 0, max: 1, state: 'running' });
    return this.message();
  }

  /** Mark every running node finished; null when none was running. */
  finishAll(): ComfyMessage | null {
    let changed = false;
    for (const state of this.nodes.values()) {
      if (state.state === 'running') {
        Object.assign(state, { value: 1, state: 'finished' });
        changed = true;
      }
    }
    return changed ? this.message() : null;
  }

  private message(): ComfyMessage {
    const nodes: Record<string, unknown> = {};
    for (const [id, s] of this.nodes) {
      nodes[id] = {
        value: s.value,
        max: s.max,
        state: s.state,
        node_id: id,
        prompt_id: this.jobId,
        display_node_id: id,
        parent_node_id: null,
        real_node_id: id,
      };
    }
    return { type: 'progress_state', data: { prompt_id: this.jobId, nodes } };
  }
}

export const executing = (jobId: string, nodeId: string): ComfyMessage => ({
  type: 'executing',
  data: { node: nodeId, display_node: nodeId, prompt_id: jobId },
});

export const executed = (
  jobId: string,
  nodeId: string,
  output: Record<string, unknown[]>,
): ComfyMessage => ({
  type: 'executed',
  data: { node: nodeId, display_node: nodeId, output, prompt_id: jobId },
});

export const stamped = (
  type: string,
  jobId: string,
  extra: Record<string, unknown> = {},
): ComfyMessage => ({
  type,
  data: { prompt_id: jobId, ...extra, timestamp: Date.now() },
});

/** ComfyUI's `execution_error` payload for a failure the relay itself established (timeout, GPU down …). */
export function relayErrorPayload(
  jobId: string,
  error: JobError,
  executedNodes: string[],
): Record<string, unknown> {
  return {
    prompt_id: jobId,
    node_id: error.nodeId,
    node_type: error.nodeType,
    executed: executedNodes,
    exception_message: error.exceptionMessage,
    exception_type: error.exceptionType,
    traceback: error.traceback,
    current_inputs: error.currentInputs,
    current_outputs: error.currentOutputs,
    timestamp: Date.now(),
  };
}

/** A JobError from ComfyUI's `execution_error` payload, with the node the user knows. */
export function jobErrorFromPayload(
  payload: Record<string, unknown>,
  userClass: (nodeId: string) => string | undefined,
): JobError {
  const nodeId = payload.node_id == null ? '' : String(payload.node_id);
  const nodeType = userClass(nodeId) ?? String(payload.node_type ?? '');
  const exceptionType = String(payload.exception_type ?? 'Exception');
  const exceptionMessage = String(payload.exception_message ?? '');
  const where = nodeId ? `node ${nodeId} (${nodeType})` : 'the prompt';
  return {
    message: `GPU error in ${where}: ${exceptionType}: ${exceptionMessage.split('\n')[0]}`,
    nodeId,
    nodeType,
    exceptionType,
    exceptionMessage,
    traceback: Array.isArray(payload.traceback) ? payload.traceback.map(String) : [],
    currentInputs: (payload.current_inputs as Record<string, unknown> | undefined) ?? {},
    currentOutputs: Array.isArray(payload.current_outputs)
      ? payload.current_outputs.map(String)
      : [],
  };
}

/** A job-level JobError (nodeId ''), the kind ComfyUI shows as "type: message". */
export function jobLevelError(exceptionType: string, message: string): JobError {
  return {
    message,
    nodeId: '',
    nodeType: '',
    exceptionType,
    exceptionMessage: message,
    traceback: [],
    currentInputs: {},
    currentOutputs: [],
  };
}

/** Every node a set of output nodes depends on (links are `[nodeId, slot]`), outputs included. */
export function upstreamOf(prompt: Record<string, unknown>, outputs: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const id = stack.pop() as string;
    if (seen.has(id) || !(id in prompt)) continue;
    seen.add(id);
    const inputs = (prompt[id] as { inputs?: Record<string, unknown> } | undefined)?.inputs ?? {};
    for (const value of Object.values(inputs)) {
      if (
        Array.isArray(value) &&
        value.length === 2 &&
        typeof value[0] === 'string' &&
        typeof value[1] === 'number'
      )
        stack.push(value[0]);
    }
  }
  return [...seen];
}
