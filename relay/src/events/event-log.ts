/**
 * @fileoverview The durable event log: relay events in streams (one per user, plus one of all
 * users under the same ids). Replays read after `since`; one tail loop per relay follows the
 * all-users stream and hands every new event to the in-process hub, retrying while the store is
 * away. The storage is behind `EventStreams`/`EventTail` (Redis Streams in
 * `store/redis-event-streams.ts`), so this module holds the log's behaviour, not its keys.
 */
import type { Logger } from 'pino';
import type { RelayEvent } from '../../../protocol/src/index';

/** An event as stored: its stream id and the JSON appended (without the id). */
export type StoredEvent = { id: string; json: string };
/** An entry of the all-users stream; `userId`/`json` absent on an entry that is not an event. */
export type TailedEvent = { id: string; userId?: string; json?: string };

/** Where events are kept: append to a user's stream (and the all-users one), read after an id. */
export interface EventStreams {
  /** Appends and returns the id the stream assigned. */
  append(userId: string, eventJson: string): Promise<string>;
  /** Every event after `since` (exclusive), oldest first: the user's stream, or all users' when undefined. */
  after(userId: string | undefined, since: string): Promise<StoredEvent[]>;
}

/** A follower of the all-users stream (blocking reads, so it owns its connection). */
export interface EventTail {
  /** The newest entry's id ('0-0' when empty): where a new tail starts. */
  lastId(): Promise<string>;
  /** Entries after `after`, waiting up to `blockMs` for one. */
  next(after: string, blockMs: number): Promise<TailedEvent[]>;
  /** Ends the tail, interrupting a waiting read. */
  close(): void;
}

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
    private readonly streams: EventStreams,
    private readonly tailer: EventTail,
    private readonly logger: Logger,
    private readonly onEvent: TailListener,
  ) {}

  append(userId: string, event: NewEvent): Promise<string> {
    return this.streams.append(userId, JSON.stringify(event));
  }

  /** Every stored event after `since` (exclusive), oldest first: the user's stream, or all users' for admin. */
  async replay(userId: string | undefined, since: string): Promise<RelayEvent[]> {
    return (await this.streams.after(userId, since)).map(({ id, json }) => parse(id, json));
  }

  start(): void {
    this.loop ??= this.tail();
  }

  private async tail(): Promise<void> {
    while (!this.stopped) {
      try {
        this.cursor ??= await this.tailer.lastId();
        for (const { id, userId, json } of await this.tailer.next(this.cursor, 1000)) {
          this.cursor = id;
          if (json && userId !== undefined) this.onEvent(userId, parse(id, json));
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
    this.tailer.close(); // interrupts a blocked read
    await this.loop?.catch(() => undefined);
  }
}
