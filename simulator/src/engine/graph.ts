/**
 * @fileoverview ComfyUI's ExecutionList (comfy_execution/graph.py) without lazy inputs or subgraph
 * expansion: a topological dissolve from the requested outputs, skipping cached inputs, picking nodes
 * with `ux_friendly_pick_node` (outputs first, then nodes feeding an output, then feeding a feeder).
 */
import { isLink, type ApiPrompt } from './types';

export class DependencyCycleError extends Error {
  constructor() {
    super('Dependency cycle detected');
  }
}

export class ExecutionList {
  /** Insertion-ordered like the Python dict `pendingNodes`. */
  private pending = new Map<string, true>();
  private blockers = new Map<string, Set<string>>();
  private blocking = new Map<string, Map<string, true>>();

  constructor(
    private readonly prompt: ApiPrompt,
    private readonly isCached: (nodeId: string) => boolean,
    private readonly isOutput: (classType: string) => boolean,
  ) {}

  addNode(nodeId: string): void {
    const stack = [nodeId];
    const links: Array<[string, string]> = [];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (this.pending.has(id)) continue;
      this.pending.set(id, true);
      this.blockers.set(id, new Set());
      this.blocking.set(id, new Map());
      for (const value of Object.values(this.prompt[id]?.inputs ?? {})) {
        if (!isLink(value)) continue;
        if (!this.isCached(value[0])) stack.push(value[0]);
        links.push([value[0], id]);
      }
    }
    for (const [from, to] of links) this.addStrongLink(from, to);
  }

  private addStrongLink(from: string, to: string): void {
    if (this.isCached(from) && !this.pending.has(from)) return;
    this.addNode(from);
    this.blocking.get(from)?.set(to, true);
    this.blockers.get(to)?.add(from);
  }

  isEmpty(): boolean {
    return this.pending.size === 0;
  }

  /** The next node to run; throws DependencyCycleError (blaming the first cycled node) when none is ready. */
  stage(): string {
    const ready = [...this.pending.keys()].filter((id) => (this.blockers.get(id)?.size ?? 0) === 0);
    if (ready.length === 0)
      throw Object.assign(new DependencyCycleError(), { nodeId: [...this.pending.keys()][0] });
    return this.pick(ready);
  }

  private outputNode(id: string): boolean {
    const node = this.prompt[id];
    return node !== undefined && this.isOutput(node.class_type);
  }

  private pick(ready: string[]): string {
    for (const id of ready) if (this.outputNode(id)) return id;
    for (const id of ready)
      for (const blocked of this.blocking.get(id)?.keys() ?? [])
        if (this.outputNode(blocked)) return id;
    for (const id of ready)
      for (const blocked of this.blocking.get(id)?.keys() ?? []) {
        if (!this.pending.has(blocked)) continue;
        for (const next of this.blocking.get(blocked)?.keys() ?? [])
          if (this.outputNode(next)) return id;
      }
    return ready[0] as string;
  }

  complete(nodeId: string): void {
    this.pending.delete(nodeId);
    for (const blocker of this.blockers.get(nodeId) ?? [])
      this.blocking.get(blocker)?.delete(nodeId);
    this.blockers.delete(nodeId);
    for (const blocked of this.blocking.get(nodeId)?.keys() ?? [])
      this.blockers.get(blocked)?.delete(nodeId);
    this.blocking.delete(nodeId);
  }
}
