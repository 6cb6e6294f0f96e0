/**
 * @fileoverview The last-resort guard of the process: a promise rejection nobody handled is logged
 * and the process keeps serving. Node's default (exit) would drop every attendee's connection for
 * one forgotten `.catch`, e.g. a Redis call failing during an outage. Every known path handles its
 * own failures; a line from here is a bug to fix, which is why it logs at error level.
 */
import type { Logger } from 'pino';

export function guardUnhandledRejections(logger: Logger): () => void {
  const onRejection = (reason: unknown) => {
    const err =
      reason instanceof Error
        ? { message: reason.message, name: reason.name, stack: reason.stack }
        : { message: String(reason) };
    logger.error(
      { err },
      'unhandled promise rejection (a bug: this path should handle its own failure); still serving',
    );
  };
  process.on('unhandledRejection', onRejection);
  return () => process.off('unhandledRejection', onRejection);
}
