/**
 * @fileoverview The event log's storage on Redis Streams: one stream per user plus one of all
 * users under the same ids, appended together by one Lua script and trimmed to a maximum length;
 * replays page through XRANGE; the tail is XREAD BLOCK on a connection of its own (a blocked
 * connection can do nothing else). What `events/event-log.ts` needs, so it never touches Redis.
 */
import type { Redis } from 'ioredis';
import type { EventStreams, EventTail, StoredEvent, TailedEvent } from '../events/event-log';
import type { Keys } from './keys';
import { loadScripts, type RunScript } from './lua-scripts';
import { guard } from './redis';

export class RedisEventStreams implements EventStreams {
  private readonly run: RunScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** Events kept per user stream (the all-users stream keeps ten times as many). */
    private readonly maxLen: number,
  ) {
    this.run = loadScripts(redis);
  }

  async append(userId: string, eventJson: string): Promise<string> {
    const max = this.maxLen;
    return String(
      await this.run(
        'appendEvent',
        this.keys.eventsAll,
        this.keys.eventsUser(userId),
        max * 10,
        max,
        userId,
        eventJson,
      ),
    );
  }

  async after(userId: string | undefined, since: string, pageSize = 500): Promise<StoredEvent[]> {
    const key = userId === undefined ? this.keys.eventsAll : this.keys.eventsUser(userId);
    const out: StoredEvent[] = [];
    let from = `(${since}`;
    for (;;) {
      const page = await guard(() => this.redis.xrange(key, from, '+', 'COUNT', pageSize));
      for (const [id, fields] of page) {
        const json = streamField(fields, 'e');
        if (json) out.push({ id, json });
      }
      if (page.length < pageSize) return out;
      from = `(${page[page.length - 1]![0]}`;
    }
  }
}

/** Follows the all-users stream on `redis`, which must be a connection used for nothing else. */
export class RedisEventTail implements EventTail {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async lastId(): Promise<string> {
    const last = await this.redis.xrevrange(this.keys.eventsAll, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  async next(after: string, blockMs: number): Promise<TailedEvent[]> {
    const result = await this.redis.xread(
      'COUNT',
      1000,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.keys.eventsAll,
      after,
    );
    const out: TailedEvent[] = [];
    for (const [, entries] of result ?? []) {
      for (const [id, fields] of entries) {
        const json = streamField(fields, 'e');
        const userId = streamField(fields, 'u');
        out.push(json && userId !== undefined ? { id, userId, json } : { id });
      }
    }
    return out;
  }

  /** Interrupts a blocked read. */
  close(): void {
    this.redis.disconnect();
  }
}

/** A field of a stream entry (entries are flat name, value lists). */
function streamField(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
