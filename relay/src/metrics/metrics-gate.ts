/**
 * @fileoverview Who may read /metrics on the relay's port: the operator (ADMIN_TOKEN as a bearer
 * token, which is what Prometheus sends: docker/monitoring/prometheus.yml, cli/src/stack/prometheus.ts),
 * or anyone when METRICS_PUBLIC=1. The metrics name users and job counts, so a public port must not
 * hand them to every attendee.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorBody } from '../../../protocol/src/index';
import { bearer, verifyToken } from '../../../kit/user-token';

export type MetricsGateOptions = { public: boolean; relaySecret: string; adminToken: string };

function refuse(
  res: ServerResponse,
  status: 401 | 403,
  code: 'unauthorized' | 'forbidden',
  message: string,
): void {
  const body: ErrorBody = { error: { code, message } };
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'www-authenticate': 'Bearer',
  });
  res.end(text);
}

/** True when the request may read the metrics; otherwise the refusal has been sent. */
export function metricsAllowed(
  req: IncomingMessage,
  res: ServerResponse,
  options: MetricsGateOptions,
): boolean {
  if (options.public) return true;
  const token = bearer(req.headers.authorization);
  const principal = token ? verifyToken(token, options.relaySecret, options.adminToken) : undefined;
  if (principal?.kind === 'admin') return true;
  if (principal) {
    refuse(
      res,
      403,
      'forbidden',
      '/metrics is for the operator: send the ADMIN_TOKEN, not a user token (or set METRICS_PUBLIC=1 on a private network)',
    );
    return false;
  }
  refuse(
    res,
    401,
    'unauthorized',
    '/metrics needs the operator token: send Authorization: Bearer <ADMIN_TOKEN> (Prometheus: authorization.credentials_file), or set METRICS_PUBLIC=1 to serve it without one',
  );
  return false;
}
