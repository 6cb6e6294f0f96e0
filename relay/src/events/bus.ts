/**
 * @fileoverview Live, non-durable messages between relays over Redis pub/sub: binary previews
 * (fanned out to whichever relay holds the user's sockets) and control messages (cancel a job
 * another relay runs; "the queue changed, dispatch now"). One subscriber connection per relay.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../store/keys';

export type ControlMessage = { type: 'cancel'; jobId: string } | { type: 'queue' };
/** On the wire, a "queue" message names the relay that sent it: that relay has dispatched already. */
type WireMessage = ControlMessage & { from?: string };

export class Bus {
  private wakePending = false;

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly keys: Keys,
    private readonly logger: Logger,
    /** This relay's id: its own "queue" messages come back to it and are ignored. */
    private readonly origin: string,
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
        const { from, ...control } = JSON.parse(message) as WireMessage;
        if (control.type === 'queue' && from === origin) return;
        handlers.control(control);
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

  /**
   * Fire and forget. "queue" messages (dispatch now) are coalesced to one per turn of the event
   * loop: a burst of submits wakes the other relays once per batch, not once per job.
   */
  control(message: ControlMessage): void {
    if (message.type === 'queue') {
      if (this.wakePending) return;
      this.wakePending = true;
      setImmediate(() => {
        this.wakePending = false;
        this.publish({ type: 'queue', from: this.origin });
      });
      return;
    }
    this.publish(message);
  }

  private publish(message: WireMessage): void {
    this.pub.publish(this.keys.controlChannel, JSON.stringify(message)).catch(() => undefined);
  }
}
