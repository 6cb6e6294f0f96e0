/** @fileoverview What a replica's handlers and worker share (one queue, history, cache and hub per replica). */
import type { Logger } from 'pino';
import type { Executor } from './engine/executor';
import type { PromptQueue } from './engine/queue';
import type { NodeRegistry } from './nodes/registry';
import type { Dirs } from './nodes/types';
import type { WebOptions } from './server/handlers/static';
import type { WsHub } from './server/ws-hub';

export type ReplicaContext = {
  index: number;
  dirs: Dirs;
  queue: PromptQueue;
  executor: Executor;
  hub: WsHub;
  registry: NodeRegistry;
  log: Logger;
  /** PromptServer.number: increments on every POST /prompt that parsed, valid or not. */
  counter: { number: number };
  settings: Map<string, unknown>;
  /** Server feature flags (GET /features, WS reply). */
  features: () => Record<string, unknown>;
  /** Static web root and custom-node web directories, when serving a UI. */
  web: WebOptions;
  /** The ComfyUI version it reports (/system_stats) and whose prompt error bodies it gives. */
  version: string;
  /** Model files per folder (`checkpoints` → names) this ComfyUI "has"; absent folders use the defaults. */
  models: Readonly<Record<string, readonly string[]>>;
  /** ComfyUI's user directory (the single user's files are in `default/`): the userdata API's root. */
  userDir: string;
};

export const SERVER_FEATURES = {
  supports_preview_metadata: true,
  max_upload_size: 104857600,
  extension: { manager: { supports_v4: true } },
  node_replacements: true,
  assets: false,
};
