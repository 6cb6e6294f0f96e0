/** @fileoverview The sidecar's pino root logger; modules take child loggers, secrets are redacted. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, userId: string): Logger {
  return pino({
    level,
    base: { svc: 'sidecar', user: userId },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'authorization',
        'token',
        'relayToken',
        '*.auth_token_comfy_org',
        '*.api_key_comfy_org',
      ],
      censor: '[redacted]',
    },
  });
}
