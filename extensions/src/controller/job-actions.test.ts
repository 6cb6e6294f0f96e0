/** Cancel and re-run send exactly the stock queue panel's requests to a real server. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cancelJob, requeueJob, type ApiLike } from './job-actions';

let server: Server;
let api: ApiLike;
let legacy = false;
const got: { method: string; url: string; body: unknown }[] = [];
const prompt = { '1': { class_type: 'EmptyImage', inputs: { width: 8 } } };

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      got.push({ method: req.method!, url: req.url!, body: raw ? JSON.parse(raw) : undefined });
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/api/jobs/old') {
        return legacy
          ? send(404, {})
          : send(200, {
              id: 'old',
              workflow: {
                prompt,
                extra_data: {
                  client_id: 'x',
                  create_time: 1,
                  extra_pnginfo: { workflow: { nodes: [] } },
                },
              },
            });
      }
      if (req.url === '/api/history/old')
        return send(200, {
          old: { prompt: [3, 'old', prompt, { client_id: 'x', create_time: 1 }, ['1']] },
        });
      if (req.url === '/api/prompt')
        return send(200, { prompt_id: 'new', number: 4, node_errors: {} });
      send(200, null);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  api = {
    clientId: 'tab-sid',
    fetchApi: (route, init) =>
      undiciFetch(`${base}${route}`, init as never) as unknown as Promise<Response>,
  };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  got.length = 0;
  legacy = false;
});

describe('job actions', () => {
  it('interrupts a running job and deletes a queued one', async () => {
    await cancelJob(api, { id: 'r', state: 'running' });
    await cancelJob(api, { id: 'w', state: 'warming_up' });
    await cancelJob(api, { id: 'q', state: 'queued' });
    expect(got).toEqual([
      { method: 'POST', url: '/api/interrupt', body: { prompt_id: 'r' } },
      { method: 'POST', url: '/api/interrupt', body: { prompt_id: 'w' } },
      { method: 'POST', url: '/api/queue', body: { delete: ['q'] } },
    ]);
  });

  it('re-runs the same prompt with the workflow, from /api/jobs/{id}', async () => {
    expect(await requeueJob(api, 'old')).toBe('new');
    expect(got.at(-1)).toEqual({
      method: 'POST',
      url: '/api/prompt',
      body: {
        client_id: 'tab-sid',
        prompt,
        extra_data: { extra_pnginfo: { workflow: { nodes: [] } } },
      },
    });
  });

  it('re-runs from /history/{id} on servers without the jobs API', async () => {
    legacy = true;
    await requeueJob(api, 'old');
    expect(got.map((g) => g.url)).toEqual(['/api/jobs/old', '/api/history/old', '/api/prompt']);
    expect((got.at(-1)!.body as { prompt: unknown }).prompt).toEqual(prompt);
  });
});
