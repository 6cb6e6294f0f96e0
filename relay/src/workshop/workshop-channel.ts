/**
 * @fileoverview Workshop notices between relays over Redis pub/sub: a relay that publishes a
 * workflow or a broadcast line tells every relay (itself included), and each hands the notice to
 * the event sockets it holds. Live only: a sidecar disconnected at that moment misses the toast,
 * but still lists the workflow the next time its sidebar asks.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { WorkshopNotice } from '../../../protocol/src/index';

export class WorkshopChannel {
  constructor(
    private readonly pub: Pick<Redis, 'publish'>,
    sub: Pick<Redis, 'on' | 'subscribe'>,
    private readonly channel: string,
    logger: Logger,
    onNotice: (notice: WorkshopNotice) => void,
  ) {
    sub.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      let parsed;
      try {
        parsed = WorkshopNotice.safeParse(JSON.parse(message));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) onNotice(parsed.data);
      else logger.warn('ignoring a malformed workshop notice');
    });
    // ioredis re-subscribes by itself after a reconnect.
    sub
      .subscribe(channel)
      .catch((error: Error) =>
        logger.warn({ err: error.message }, 'workshop subscribe failed (will retry on reconnect)'),
      );
  }

  /** Every relay hands it to its event sockets; resolves once Redis took it. */
  async send(notice: WorkshopNotice): Promise<void> {
    await this.pub.publish(this.channel, JSON.stringify(notice));
  }
}
