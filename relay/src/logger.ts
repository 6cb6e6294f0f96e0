/**
 * @fileoverview The root pino logger. Secrets never reach a log line: authorization headers,
 * tokens, API keys and the relay secret are redacted by path, wherever they appear in a bound object.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'serverlessApiKey',
  '*.serverlessApiKey',
  'relaySecret',
  '*.relaySecret',
  'adminToken',
  '*.adminToken',
  'config.relaySecret',
  'config.adminToken',
  'config.serverlessApiKey',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { svc: 'relay' }, redact: { paths: redactPaths, censor: '[redacted]' } },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
