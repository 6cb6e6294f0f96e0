/**
 * @fileoverview The server half of the dashboard's token subprotocol: the relay's upgrade handler
 * copies the token a browser offered as a subprotocol (format: protocol/src/relay/ws-token.ts)
 * into `Authorization` before its usual header auth.
 */
import type { IncomingMessage } from 'node:http';
import { tokenFromProtocols } from '../../../protocol/src/relay/ws-token';

/**
 * Call first thing in the server's `upgrade` handler: when the request has no Authorization
 * header but offers a token subprotocol, sets `Authorization: Bearer <token>` so the existing
 * header-based auth applies unchanged. Returns whether it did.
 */
export function adoptProtocolToken(req: Pick<IncomingMessage, 'headers'>): boolean {
  if (req.headers.authorization) return false;
  const token = tokenFromProtocols(req.headers['sec-websocket-protocol']);
  if (!token) return false;
  req.headers.authorization = `Bearer ${token}`;
  return true;
}
