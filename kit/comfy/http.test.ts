/** The one ComfyUI transport: auth headers, unavailable statuses typed, secrets scrubbed, cold-start retry. */
import { describe, expect, it } from 'vitest';
import { retryColdStart } from './cold-start';
import { ComfyUnavailable } from './errors';
import { ComfyHttp, splitCredentials } from './http';

function fakeFetch(answers: (() => Response)[]) {
  const seen: { url: string; headers: Record<string, string> }[] = [];
  const fetch = (async (url: string, init: { headers: Record<string, string> }) => {
    seen.push({ url, headers: init.headers });
    const next = answers.shift();
    if (!next) throw Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    return next();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, seen };
}

describe('ComfyHttp', () => {
  it('sends the Bearer key, throws listed statuses as ComfyUnavailable, and scrubs the key', async () => {
    const { fetch, seen } = fakeFetch([
      () => new Response('gateway says sk-secret', { status: 503, statusText: 'Unavailable' }),
      () => new Response('{"a":1}', { status: 400 }),
    ]);
    const http = new ComfyHttp({
      baseUrl: 'http://gpu/',
      auth: { bearer: 'sk-secret' },
      timeoutMs: 1000,
      fetch,
      unavailableStatus: (status) => status === 503,
    });
    const error = await http.request('GET', '/queue').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComfyUnavailable);
    expect((error as ComfyUnavailable).message).toBe(
      'GET /queue: HTTP 503 Unavailable (gateway says [redacted])',
    );
    expect((error as ComfyUnavailable).maybeDelivered).toBe(false);
    expect(seen[0]).toEqual({
      url: 'http://gpu/queue',
      headers: { authorization: 'Bearer sk-secret' },
    });
    expect(await http.request('POST', '/prompt', { json: {} })).toEqual({
      status: 400,
      body: { a: 1 },
      text: '{"a":1}',
    });
    const unreachable = await http.request('GET', '/x').catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ retryable: true, maybeDelivered: false });
  });

  it('turns URL credentials into Basic auth', () => {
    const { baseUrl, auth } = splitCredentials('http://user001:pa%40ss@host/user001/');
    expect(baseUrl).toBe('http://host/user001');
    const http = new ComfyHttp({ baseUrl, auth, timeoutMs: 1000 });
    expect(http.headers.authorization).toBe(
      `Basic ${Buffer.from('user001:pa@ss').toString('base64')}`,
    );
  });
});

describe('retryColdStart', () => {
  it('retries ComfyUnavailable, tells each retry, and ends other failures at once', async () => {
    const retries: number[] = [];
    let calls = 0;
    const value = await retryColdStart(
      async () => {
        if (++calls < 3) throw new ComfyUnavailable('cold');
        return 'warm';
      },
      { deadline: Date.now() + 10_000, onRetry: (_e, attempt) => void retries.push(attempt) },
    );
    expect([value, retries]).toEqual(['warm', [1, 2]]);
    const refused = new Error('refused');
    await expect(
      retryColdStart(
        async () => {
          throw refused;
        },
        { deadline: Date.now() + 10_000 },
      ),
    ).rejects.toBe(refused);
  });

  it('ends with giveUp once the deadline has passed', async () => {
    await expect(
      retryColdStart(
        async () => {
          throw new ComfyUnavailable('still cold');
        },
        {
          deadline: Date.now() + 100,
          atDeadline: 'try-again',
          giveUp: (error, attempts) => new Error(`gave up: ${error.message} (${attempts > 1})`),
        },
      ),
    ).rejects.toThrow('gave up: still cold (true)');
  });
});
