/** @fileoverview Framework-free handler types: `(ctx) → {status, body}` (or a file to send), and what handlers may use. */
import type { Principal } from '../../../kit/user-token';
import type { Backend } from '../backends/backend';
import type { ObjectInfoCache } from '../backends/object-info-cache';
import type { Config } from '../config';
import type { Bus } from '../events/bus';
import type { Publisher } from '../events/publisher';
import type { InputStore } from '../inputs/input-store';
import type { OutputStore } from '../outputs/output-store';
import type { QueueInfo } from '../scheduler/queue-info';
import type { RelayObserve } from '../metrics/relay-metrics';
import type { Scheduler } from '../scheduler/scheduler';
import type { DurabilityStatus } from '../store/redis-durability';
import type { RedisJobStore } from '../store/redis-job-store';
import type { TokenRevocations } from '../../../kit/token-revocations';

export type HandlerContext = {
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: unknown;
};

export type HandlerResult =
  | { status: number; body?: unknown }
  | { status: number; file: string; headers: Record<string, string> };

export type Handler = (ctx: HandlerContext, services: Services) => Promise<HandlerResult>;

export type Services = {
  config: Config;
  store: RedisJobStore;
  queue: QueueInfo;
  publisher: Publisher;
  bus: Bus;
  scheduler: Scheduler;
  outputs: OutputStore;
  inputs: InputStore;
  backends: Backend[];
  /** The GPU's /object_info, stale-while-revalidate. */
  objectInfo: ObjectInfoCache;
  startedAt: number;
  version: string;
  redisUp(): Promise<boolean>;
  /** Users whose older tokens are refused (absent in tests that build services by hand). */
  revocations?: TokenRevocations;
  /** Redis's persistence and whether it lost its data (store/redis-durability). */
  redisDurability(): DurabilityStatus;
  /** Metrics hooks (absent in tests that build services by hand). */
  observe?: RelayObserve;
};
