/**
 * @fileoverview The output cache, ComfyUI "classic" style: entries are keyed by a node's input signature
 * (class, IS_CHANGED value, its widget values, and recursively its ancestors' signatures; plus the node id
 * for nodes that are not idempotent). Each prompt keeps only entries whose keys it uses.
 */
import { createHash } from 'node:crypto';
import { isLink, type ApiPrompt, type NodeMeta, type UiOutput } from './types';

export type CacheEntry = {
  outputs: unknown[];
  ui: { meta: NodeMeta; output: UiOutput } | undefined;
};

export type SignatureOptions = {
  isChanged: (nodeId: string) => unknown;
  includeNodeId: (classType: string) => boolean;
};

/** The signature key of every node in `prompt` (stable JSON, hashed). */
export function signatureKeys(prompt: ApiPrompt, options: SignatureOptions): Map<string, string> {
  const keys = new Map<string, string>();
  const visiting = new Set<string>();
  const keyOf = (id: string): string => {
    const known = keys.get(id);
    if (known) return known;
    const node = prompt[id];
    if (!node || visiting.has(id)) return `missing:${id}`;
    visiting.add(id);
    const inputs = Object.keys(node.inputs)
      .sort()
      .map((name) => {
        const value = node.inputs[name];
        return isLink(value) ? [name, ['ANCESTOR', keyOf(value[0]), value[1]]] : [name, value];
      });
    const signature = [
      node.class_type,
      options.isChanged(id) ?? null,
      options.includeNodeId(node.class_type) ? id : null,
      inputs,
    ];
    const key = createHash('sha256').update(JSON.stringify(signature)).digest('hex');
    visiting.delete(id);
    keys.set(id, key);
    return key;
  };
  for (const id of Object.keys(prompt)) keyOf(id);
  return keys;
}

export class OutputCache {
  private entries = new Map<string, CacheEntry>();
  private keys = new Map<string, string>();

  /** Compute this prompt's keys and drop entries it does not use (ComfyUI's clean_unused). */
  setPrompt(keys: Map<string, string>): void {
    this.keys = keys;
    const used = new Set(keys.values());
    for (const key of this.entries.keys()) if (!used.has(key)) this.entries.delete(key);
  }

  get(nodeId: string): CacheEntry | undefined {
    const key = this.keys.get(nodeId);
    return key === undefined ? undefined : this.entries.get(key);
  }

  set(nodeId: string, entry: CacheEntry): void {
    const key = this.keys.get(nodeId);
    if (key !== undefined) this.entries.set(key, entry);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
