/**
 * @fileoverview The durable event log: relay events in Redis Streams (one per user, plus one of
 * all users under the same ids). Appends go through the store's Lua script; replays use XRANGE
 * after `since`; one tail loop per relay (XREAD BLOCK on its own connection, since a blocked
 * connection can do nothing else) hands every new event to the in-process hub.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RelayEvent } from '../../../protocol/src/index';
import type { RedisJobStore } from '../store/redis-job-store';
import { guard } from '../store/redis';

/** An event as appended: everything but the id the stream assigns. */
export type NewEvent = RelayEvent extends infer E
  ? E extends RelayEvent
    ? Omit<E, 'id'>
    : never
  : never;
export type TailListener = (userId: string, event: RelayEvent) => void;

const parse = (id: string, json: string): RelayEvent =>
  ({ ...(JSON.parse(json) as NewEvent), id }) as RelayEvent;

export class EventLog {
  private cursor: string | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly store: RedisJobStore,
    private readonly tailRedis: Redis,
    private readonly logger: Logger,
    private readonly onEvent: TailListener,
  ) {}

  append(userId: string, event: NewEvent): Promise<string> {
    return this.store.appendEvent(userId, JSON.stringify(event));
  }

  /** Every stored event after `since` (exclusive), oldest first: the user's stream, or all users' for admin. */
  async replay(userId: string | undefined, since: string, pageSize = 500): Promise<RelayEvent[]> {
    const key =
      userId === undefined ? this.store.keys.eventsAll : this.store.keys.eventsUser(userId);
    const out: RelayEvent[] = [];
    let from = `(${since}`;
    for (;;) {
      const page = await guard(() => this.store.redis.xrange(key, from, '+', 'COUNT', pageSize));
      for (const [id, fields] of page) {
        const json = fieldValue(fields, 'e');
        if (json) out.push(parse(id, json));
      }
      if (page.length < pageSize) return out;
      from = `(${page[page.length - 1]![0]}`;
    }
  }

  start(): void {
    this.loop ??= this.tail();
  }

  private async tail(): Promise<void> {
    const key = this.store.keys.eventsAll;
    while (!this.stopped) {
      try {
        if (this.cursor === undefined) {
          const last = await this.tailRedis.xrevrange(key, '+', '-', 'COUNT', 1);
          this.cursor = last[0]?.[0] ?? '0-0';
        }
        const result = await this.tailRedis.xread(
          'COUNT',
          1000,
          'BLOCK',
          1000,
          'STREAMS',
          key,
          this.cursor,
        );
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            this.cursor = id;
            const json = fieldValue(fields, 'e');
            const userId = fieldValue(fields, 'u');
            if (json && userId !== undefined) this.onEvent(userId, parse(id, json));
          }
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.debug({ err: (error as Error).message }, 'event tail read failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.tailRedis.disconnect(); // interrupts a blocked XREAD
    await this.loop?.catch(() => undefined);
  }
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
