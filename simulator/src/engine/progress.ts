/**
 * @fileoverview ComfyUI's progress registry (comfy_execution/progress.py) and its WebUI handler: a
 * cumulative `progress_state` map per prompt (pending nodes omitted), sent on every start/update/finish.
 */
type NodeProgress = { value: number; max: number; state: 'running' | 'finished'; float: boolean };

export class ProgressRegistry {
  private nodes = new Map<string, NodeProgress>();

  constructor(
    private readonly promptId: string,
    private readonly emit: (data: Record<string, unknown>) => void,
  ) {}

  /** start_progress: value 0.0 / max 1.0 (Python floats on the wire). */
  start(nodeId: string): void {
    this.nodes.set(nodeId, { value: 0, max: 1, state: 'running', float: true });
    this.send();
  }

  /** update_progress from a ProgressBar: Python ints. */
  update(nodeId: string, value: number, max: number): void {
    this.nodes.set(nodeId, { value, max, state: 'running', float: false });
    this.send();
  }

  /**
   * finish_progress: value = max. (ComfyUI sends 1.0 for executed nodes and int 1 for cached ones; JSON
   * readers cannot tell, so the `float` flag is kept only for documentation of that difference.)
   */
  finish(nodeId: string): void {
    const node = this.nodes.get(nodeId);
    const max = node?.max ?? 1;
    this.nodes.set(nodeId, { value: max, max, state: 'finished', float: node?.float ?? false });
    this.send();
  }

  snapshot(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [id, node] of this.nodes) {
      out[id] = {
        value: node.value,
        max: node.max,
        state: node.state,
        node_id: id,
        prompt_id: this.promptId,
        display_node_id: id,
        parent_node_id: null,
        real_node_id: id,
      };
    }
    return out;
  }

  private send(): void {
    this.emit({ prompt_id: this.promptId, nodes: this.snapshot() });
  }
}
