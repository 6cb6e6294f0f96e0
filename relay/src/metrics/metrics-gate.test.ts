import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUserToken } from '../../../kit/user-token';
import { metricsAllowed } from './metrics-gate';

const secret = 'gate-test-secret-0123456789abcdef';
const adminToken = 'gate-test-admin-token-0123456789';

async function listen(isPublic: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (metricsAllowed(req, res, { public: isPublic, relaySecret: secret, adminToken }))
      res.end('metrics');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    server,
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/metrics`,
  };
}

describe('the /metrics gate', () => {
  let closed: { server: Server; url: string };
  let open: { server: Server; url: string };
  beforeAll(async () => {
    closed = await listen(false);
    open = await listen(true);
  });
  afterAll(() => Promise.all([closed, open].map((s) => new Promise((r) => s.server.close(r)))));

  it('needs the admin token by default and says how to send it', async () => {
    const none = await fetch(closed.url);
    expect(none.status).toBe(401);
    expect(
      ((await none.json()) as { error: { code: string; message: string } }).error,
    ).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/ADMIN_TOKEN.*METRICS_PUBLIC=1/),
    });
    const user = await fetch(closed.url, {
      headers: { authorization: `Bearer ${mintUserToken(secret, 'user007')}` },
    });
    expect(user.status).toBe(403);
    const wrong = await fetch(closed.url, { headers: { authorization: `Bearer ${adminToken}x` } });
    expect(wrong.status).toBe(401);
    const operator = await fetch(closed.url, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect([operator.status, await operator.text()]).toEqual([200, 'metrics']);
  });

  it('serves anyone with METRICS_PUBLIC=1', async () => {
    const res = await fetch(open.url);
    expect([res.status, await res.text()]).toEqual([200, 'metrics']);
  });
});
