/** @fileoverview The token subprotocol's format: base64url round trips and what is not a token. */
import { describe, expect, it } from 'vitest';
import { tokenFromProtocols, tokenProtocols, WS_PROTOCOL } from './ws-token';

describe('token subprotocol', () => {
  it('round-trips any token, including characters a subprotocol may not carry', () => {
    for (const token of ['admin-token-0123456789', 'user001.abc_DEF-xyz', 'spaces and / + = ü €']) {
      const protocols = tokenProtocols(token);
      expect(protocols[0]).toBe(WS_PROTOCOL);
      expect(protocols[1]).toMatch(/^comfyume\.bearer\.[A-Za-z0-9_-]+$/);
      expect(tokenFromProtocols(protocols.join(', '))).toBe(token);
    }
  });

  it('finds nothing in unrelated or broken headers', () => {
    expect(tokenFromProtocols(undefined)).toBeUndefined();
    expect(tokenFromProtocols('graphql-ws, comfyume.v1')).toBeUndefined();
    expect(tokenFromProtocols('comfyume.bearer.***')).toBeUndefined();
  });
});
