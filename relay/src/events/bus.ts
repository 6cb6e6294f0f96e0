/**
 * @fileoverview Live, non-durable messages between relays over Redis pub/sub: binary previews
 * (fanned out to whichever relay holds the user's sockets) and control messages (cancel a job
 * another relay runs; "the queue changed, dispatch now"). One subscriber connection per relay.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../store/keys';

export type ControlMessage = { type: 'cancel'; jobId: string } | { type: 'queue' };

export class Bus {
  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly keys: Keys,
    private readonly logger: Logger,
    handlers: {
      preview(userId: string, frame: Buffer): void;
      control(message: ControlMessage): void;
    },
  ) {
    const previewPrefix = keys.previewChannel('');
    sub.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
      handlers.preview(channel.toString().slice(previewPrefix.length), message);
    });
    sub.on('message', (channel: string, message: string) => {
      if (channel !== keys.controlChannel) return;
      try {
        handlers.control(JSON.parse(message) as ControlMessage);
      } catch {
        this.logger.warn({ message }, 'ignoring a malformed control message');
      }
    });
    // ioredis re-subscribes by itself after a reconnect.
    sub
      .psubscribe(keys.previewPattern)
      .catch((error: Error) =>
        logger.warn({ err: error.message }, 'preview subscribe failed (will retry on reconnect)'),
      );
    sub
      .subscribe(keys.controlChannel)
      .catch((error: Error) =>
        logger.warn({ err: error.message }, 'control subscribe failed (will retry on reconnect)'),
      );
  }

  /** Fire and forget: a preview nobody can take is simply dropped. */
  preview(userId: string, frame: Buffer): void {
    this.pub.publish(this.keys.previewChannel(userId), frame).catch(() => undefined);
  }

  control(message: ControlMessage): void {
    this.pub.publish(this.keys.controlChannel, JSON.stringify(message)).catch(() => undefined);
  }
}
