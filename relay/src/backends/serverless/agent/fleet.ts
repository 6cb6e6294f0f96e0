/**
 * @fileoverview The GPU replicas that run the agent, as their heartbeats on the shared volume say
 * (`<SFS>/comfyume/replicas/<id>.json`): who is alive, what each runs and holds in its queue.
 *
 * Liveness is judged by the relay's own clock — a replica is live while its heartbeat keeps
 * changing (`beat`) — so GPU hosts' clocks need not agree with ours; the replica's own `at` is used
 * only to date a heartbeat seen for the first time. A restart under the same id (`startedAt`
 * changes) is a new replica: jobs held by the old one are lost. Files that do not parse, or whose
 * name and content disagree, are ignored with one log line each until they change.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  AGENT_ROOT,
  firstZodProblem,
  Heartbeat,
  REPLICAS_DIR,
  ReplicaId,
  type Heartbeat as HeartbeatData,
} from '../../../../../protocol/src/index';

export type ReplicaState = 'live' | 'stale';

export type ReplicaView = HeartbeatData & {
  state: ReplicaState;
  /** Relay clock (ms epoch) of the last change seen. */
  lastSeenAt: number;
};

export type Holder = { replica: string; startedAt: number; state: 'running' | 'pending' };

export type FleetOptions = {
  /** The GPU output folder as mounted here (SFS_OUTPUT_DIR). */
  outputDir: string;
  pollMs: number;
  /** A heartbeat unchanged for this long is stale: its replica is taken for dead. */
  staleMs: number;
  /** Stale heartbeats older than this are forgotten (default 10 min). */
  forgetMs?: number;
  logger: Logger;
};

type Known = { data: HeartbeatData; lastSeenAt: number };

/** Heartbeat files bigger than this are not ours (a heartbeat is a few hundred bytes). */
const MAX_HEARTBEAT_BYTES = 256 * 1024;

export class AgentFleet {
  private readonly dir: string;
  private readonly known = new Map<string, Known>();
  private readonly refused = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: FleetOptions) {
    this.dir = join(options.outputDir, AGENT_ROOT, REPLICAS_DIR);
  }

  start(): void {
    if (this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.pollMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Be told after every poll (job runs re-check their holder). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One poll of the heartbeat folder (coalesced: concurrent callers share it). */
  refresh(): Promise<void> {
    this.polling ??= this.poll().finally(() => (this.polling = undefined));
    return this.polling;
  }

  replicas(): ReplicaView[] {
    return [...this.known.values()]
      .map(({ data, lastSeenAt }) => ({ ...data, lastSeenAt, state: this.stateOf(lastSeenAt) }))
      .sort((a, b) => a.replica.localeCompare(b.replica));
  }

  /** Whether any replica with the agent is alive (else jobs take the evidence path at once). */
  anyLive(): boolean {
    return [...this.known.values()].some((k) => this.stateOf(k.lastSeenAt) === 'live');
  }

  /** Whether this incarnation of a replica is alive. */
  isLive(replica: string, startedAt?: number): boolean {
    const known = this.known.get(replica);
    if (!known || this.stateOf(known.lastSeenAt) !== 'live') return false;
    return startedAt === undefined || known.data.startedAt === startedAt;
  }

  startedAtOf(replica: string): number | undefined {
    return this.known.get(replica)?.data.startedAt;
  }

  /** The live replica that says it runs or holds this attempt of the job. */
  holderOf(jobId: string, attempt: number): Holder | undefined {
    for (const [replica, { data, lastSeenAt }] of this.known) {
      if (this.stateOf(lastSeenAt) !== 'live') continue;
      if (data.running?.job === jobId && data.running.attempt === attempt)
        return { replica, startedAt: data.startedAt, state: 'running' };
      if (data.pending.some((p) => p.job === jobId && p.attempt === attempt))
        return { replica, startedAt: data.startedAt, state: 'pending' };
    }
    return undefined;
  }

  private stateOf(lastSeenAt: number): ReplicaState {
    return Date.now() - lastSeenAt <= this.options.staleMs ? 'live' : 'stale';
  }

  private async poll(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const now = Date.now();
    const present = new Set<string>();
    for (const name of names) {
      if (name.startsWith('.') || !name.endsWith('.json')) continue; // temp files of atomic writes
      const id = name.slice(0, -'.json'.length);
      const data = await this.read(name, id);
      if (!data) continue;
      present.add(id);
      const known = this.known.get(id);
      if (!known || known.data.startedAt !== data.startedAt) {
        // First sight (or a restart): date it by its own clock, never later than now.
        const at = Math.min(now, Math.max(now - this.options.staleMs - 1, data.at));
        this.known.set(id, { data, lastSeenAt: at });
      } else if (known.data.beat !== data.beat) this.known.set(id, { data, lastSeenAt: now });
    }
    const forgetMs = this.options.forgetMs ?? 10 * 60_000;
    for (const [id, known] of this.known) {
      // A heartbeat removed by a clean stop means the replica is gone: stale at once.
      if (!present.has(id) && now - known.lastSeenAt <= this.options.staleMs)
        known.lastSeenAt = now - this.options.staleMs - 1;
      if (now - known.lastSeenAt > forgetMs) this.known.delete(id);
    }
    for (const listener of this.listeners) listener();
  }

  private async read(name: string, id: string): Promise<HeartbeatData | undefined> {
    const path = join(this.dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const signature = `${info.size}:${info.mtimeMs}`;
    if (this.refused.get(name) === signature) return undefined;
    const refuse = (why: string) => {
      this.refused.set(name, signature);
      this.options.logger.warn({ file: name, why }, 'ignoring a replica heartbeat file');
      return undefined;
    };
    if (!ReplicaId.safeParse(id).success) return refuse('its name is not a replica id');
    if (info.size > MAX_HEARTBEAT_BYTES) return refuse(`it is ${info.size} bytes`);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      // Atomic renames make a half-written file impossible; a missing one was just removed.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return refuse('it is not JSON');
    }
    const parsed = Heartbeat.safeParse(raw);
    if (!parsed.success) return refuse(firstZodProblem(parsed.error));
    if (parsed.data.replica !== id) return refuse(`it names replica "${parsed.data.replica}"`);
    this.refused.delete(name);
    return parsed.data;
  }
}
