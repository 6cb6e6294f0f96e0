/**
 * @fileoverview The load-client child process (forked by load/child.ts): answers commands from
 * the bench process over IPC — bounded /view download loops, bounded job-submission bursts, and
 * many WebSocket subscribers that stamp each `bench.ping` with its arrival time.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { WebSocket } from 'ws';
import { monoMs } from '../stats';
import { promptBody } from '../workflow';
import type {
  CollectResult,
  Command,
  FramesResult,
  Request,
  Response,
  SubmitCommand,
  SubmitResult,
  SubscribeCommand,
  SubscribeResult,
  ViewCommand,
  ViewResult,
} from './protocol';

const sockets: WebSocket[] = [];
let receipts: [number, number, number][] = [];
/** Per socket index: text frames received by their `type` (relay events: job, comfy, fact …). */
let frameCounts: Record<string, number>[] = [];

/** Runs `workers` loops of `step` until `stop()`; each loop awaits its step, so at most `workers` are in flight. */
async function pool(
  workers: number,
  stop: () => boolean,
  step: () => Promise<void>,
): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stop()) await step();
    }),
  );
}

async function view(c: ViewCommand): Promise<ViewResult> {
  const agent = new Agent({ connections: c.concurrency, pipelining: 1 });
  const latenciesMs: number[] = [];
  let requests = 0;
  let failures = 0;
  let bytes = 0;
  let issued = 0;
  const start = monoMs();
  const deadline = start + c.durationMs;
  await pool(
    c.concurrency,
    () => issued >= c.maxRequests || monoMs() >= deadline,
    async () => {
      issued++;
      const t0 = monoMs();
      try {
        const res = await request(c.url, { dispatcher: agent });
        let got = 0;
        for await (const chunk of res.body) got += (chunk as Buffer).length;
        if (res.statusCode !== 200 || got === 0) failures++;
        else {
          requests++;
          bytes += got;
          latenciesMs.push(monoMs() - t0);
        }
      } catch {
        failures++;
      }
    },
  );
  const elapsedMs = monoMs() - start;
  await agent.close();
  return { requests, failures, bytes, elapsedMs, latenciesMs };
}

async function submit(c: SubmitCommand): Promise<SubmitResult> {
  const agent = new Agent({ connections: c.concurrency, pipelining: 1 });
  const latenciesMs: number[] = [];
  let accepted = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let issued = 0;
  const start = monoMs();
  const deadline = start + c.maxMs;
  const seedBase = Math.floor(Math.random() * 2 ** 30);
  await pool(
    c.concurrency,
    () => issued >= c.count || monoMs() >= deadline,
    async () => {
      const i = issued++;
      const body = promptBody('bench-admissions', seedBase + i, c.size);
      const [path, payload, headers, ok] =
        c.target === 'relay'
          ? ([
              '/api/jobs',
              {
                jobId: randomUUID(),
                clientId: 'bench-admissions',
                prompt: body.prompt,
                extraData: body.extra_data,
              },
              { authorization: `Bearer ${c.tokens[i % c.tokens.length]}` },
              201,
            ] as const)
          : (['/api/prompt', body, {}, 200] as const);
      const t0 = monoMs();
      try {
        const res = await request(`${c.url}${path}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(payload),
        });
        const text = await res.body.text();
        if (res.statusCode === ok) {
          accepted++;
          latenciesMs.push(monoMs() - t0);
        } else {
          failures++;
          firstFailure ??= `${res.statusCode} ${text.slice(0, 200)}`;
        }
      } catch (error) {
        failures++;
        firstFailure ??= (error as Error).message;
      }
    },
  );
  const elapsedMs = monoMs() - start;
  await agent.close();
  return { accepted, failures, firstFailure, elapsedMs, latenciesMs };
}

type Frame = {
  type?: string;
  data?: { seq?: unknown };
  message?: { type?: string; data?: { seq?: unknown } };
};

function pingSeq(frame: Frame): number | undefined {
  // Relay frames wrap the ComfyUI message ({type:'comfy', message:{...}}); ComfyUI sends it bare.
  const message = frame.type === 'comfy' ? frame.message : frame;
  return message?.type === 'bench.ping' && typeof message.data?.seq === 'number'
    ? message.data.seq
    : undefined;
}

function openSocket(
  index: number,
  { url, token, hello }: SubscribeCommand['sockets'][number],
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      perMessageDeflate: false,
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const at = monoMs();
      const frame = JSON.parse(String(data)) as Frame;
      const counts = (frameCounts[index] ??= {});
      const type = String(frame.type);
      counts[type] = (counts[type] ?? 0) + 1;
      const seq = pingSeq(frame);
      if (seq !== undefined) receipts.push([index, seq, at]);
    });
    ws.once('open', () => {
      if (hello) ws.send(hello);
      resolve(ws);
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
  });
}

async function subscribe(c: SubscribeCommand): Promise<SubscribeResult> {
  let open = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let next = 0;
  await pool(
    c.concurrency,
    () => next >= c.sockets.length,
    async () => {
      const index = next++;
      const target = c.sockets[index]!;
      try {
        sockets[index] = await openSocket(index, target);
        open++;
      } catch (error) {
        failures++;
        firstFailure ??= (error as Error).message;
      }
    },
  );
  return { open, failures, firstFailure };
}

export async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'view':
      return view(command);
    case 'submit':
      return submit(command);
    case 'subscribe':
      return subscribe(command);
    case 'collect': {
      const result: CollectResult = { receipts };
      receipts = [];
      return result;
    }
    case 'frames': {
      const result: FramesResult = {
        counts: Array.from({ length: sockets.length }, (_, i) => frameCounts[i] ?? {}),
      };
      frameCounts = [];
      return result;
    }
    case 'close-sockets': {
      for (const ws of sockets.splice(0)) ws?.terminate();
      frameCounts = [];
      return {};
    }
  }
}

process.on('message', (message: Request) => {
  handle(message.command).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies Response),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies Response),
  );
});
process.on('disconnect', () => process.exit(0)); // the bench process went away: never linger
