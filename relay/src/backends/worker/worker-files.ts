/**
 * @fileoverview The pull workers' file routes (worker tokens only): a job's input bytes
 * (`GET /api/worker/inputs/:job/:sha256`) and its output files (`PUT`/`GET
 * /api/worker/outputs/:job/:attempt/:type?name=`). An upload is resumable — a PUT appends from
 * `?offset=`, which must be what the relay holds (a GET answers it) — and checksummed: the size and
 * sha256 headers name the whole file, checked when its last byte arrives, before the file gets its
 * name. A worker that does not hold the job's attempt now, or a name leaving the job's folder (by
 * name or symlink), is refused (logged) and nothing is stored. Bytes arriving count as the worker
 * being alive.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { WORKER_UPLOAD_HEADERS, type ErrorCode } from '../../../../protocol/src/index';
import { bearer } from '../../../../kit/user-token';
import { verifyWorkerToken, type WorkerPrincipal } from '../../../../kit/worker-token';
import type { WorkerFleet } from './worker-fleet';
import type { WorkerStaging } from './worker-staging';

export type WorkerFilesDeps = {
  fleet: Pick<WorkerFleet, 'backendOf'>;
  staging: WorkerStaging;
  relaySecret: string;
  refusal: (principal: WorkerPrincipal) => string | undefined;
  logger: Logger;
};

const statusOf: Partial<Record<ErrorCode, number>> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  path_escape: 400,
  bad_request: 400,
};

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function refuse(res: ServerResponse, code: ErrorCode, message: string, extra = {}): void {
  reply(res, statusOf[code] ?? 400, { error: { code, message }, ...extra });
}

const OUTPUT = /^\/api\/worker\/outputs\/([^/]+)\/(\d{1,2})\/(output|temp)$/;
const INPUT = /^\/api\/worker\/inputs\/([^/]+)\/([0-9a-f]{64})$/;

/** Answers the request (true) if it is one of the worker file routes. */
export function createWorkerFiles(deps: WorkerFilesDeps) {
  const log = deps.logger;
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    // Every relay request passes here first: skip the URL parse for the ones that cannot match.
    if (!req.url?.includes('/worker/')) return false;
    const url = new URL(req.url, 'http://relay');
    const output = OUTPUT.exec(url.pathname);
    const input = output ? null : INPUT.exec(url.pathname);
    if (!output && !input) return false;
    const token = bearer(req.headers.authorization);
    const principal = token ? verifyWorkerToken(token, deps.relaySecret) : undefined;
    const why = principal ? deps.refusal(principal) : 'worker endpoints take a worker token';
    if (!principal || why) {
      req.resume();
      refuse(res, 'unauthorized', why ?? 'not a valid worker token');
      return true;
    }
    const handled = output
      ? outputRoute(req, res, url, principal, output)
      : inputRoute(req, res, principal, input!);
    handled.catch((error: Error) => {
      log.error({ err: error.message }, 'worker file route failed');
      if (!res.headersSent) refuse(res, 'bad_request', 'the relay could not store the file');
      else res.destroy();
    });
    return true;
  };

  async function inputRoute(
    req: IncomingMessage,
    res: ServerResponse,
    principal: WorkerPrincipal,
    [, jobId, sha256]: RegExpExecArray,
  ): Promise<void> {
    req.resume();
    const run = deps.fleet.backendOf(principal.worker)?.attempts.get(decodeURIComponent(jobId!));
    const file = run?.job.inputs.find((i) => i.sha256 === sha256)?.file;
    if (!run || run.ended || !file) {
      log.warn(
        { worker: principal.worker, jobId },
        'input read for a job the worker does not hold',
      );
      return refuse(res, 'forbidden', 'this worker does not hold a job with that input');
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    await pipeline(createReadStream(file), res);
  }

  async function outputRoute(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    principal: WorkerPrincipal,
    [, rawJob, rawAttempt, type]: RegExpExecArray,
  ): Promise<void> {
    const jobId = decodeURIComponent(rawJob!);
    const attempt = Number(rawAttempt);
    const name = url.searchParams.get('name') ?? '';
    const backend = deps.fleet.backendOf(principal.worker);
    if (!backend?.holds(jobId, attempt)) {
      req.resume();
      log.warn(
        { worker: principal.worker, jobId, attempt, name },
        'output upload refused: the worker does not hold this job attempt',
      );
      return refuse(
        res,
        'forbidden',
        `worker ${principal.worker} does not hold job ${jobId} (attempt ${attempt})`,
      );
    }
    const kind = type as 'output' | 'temp';
    const target = deps.staging.pathOrUndefined(jobId, attempt, kind, name);
    if (!target || !(await deps.staging.prepare(jobId, attempt, kind, target))) {
      req.resume();
      log.warn({ worker: principal.worker, jobId, name }, 'output upload refused: path escape');
      return refuse(res, 'path_escape', `output name "${name}" would leave the job's folder`);
    }
    const part = `${target}.upload`;
    const held = await sizeOf(part);
    if (req.method === 'GET') {
      req.resume();
      const done = (await sizeOf(target)) !== undefined;
      return reply(res, 200, { received: done ? -1 : (held ?? 0), complete: done });
    }
    if (req.method !== 'PUT') {
      req.resume();
      return refuse(res, 'bad_request', `${req.method} is not an upload`);
    }
    const size = Number(req.headers[WORKER_UPLOAD_HEADERS.size]);
    const sha256 = String(req.headers[WORKER_UPLOAD_HEADERS.sha256] ?? '');
    const offset = Number(url.searchParams.get('offset') ?? '0');
    if (!Number.isSafeInteger(size) || size < 0 || !/^[0-9a-f]{64}$/.test(sha256)) {
      req.resume();
      return refuse(
        res,
        'bad_request',
        `send ${WORKER_UPLOAD_HEADERS.size} and ${WORKER_UPLOAD_HEADERS.sha256}`,
      );
    }
    if ((await sizeOf(target)) !== undefined) {
      req.resume();
      return reply(res, 200, { received: size, complete: true });
    }
    if (offset !== (held ?? 0)) {
      req.resume();
      return refuse(
        res,
        'conflict',
        `the relay holds ${held ?? 0} bytes of this file; resume from there`,
        {
          received: held ?? 0,
        },
      );
    }
    let written = offset;
    let cut = false;
    const sink = createWriteStream(part, { flags: offset === 0 ? 'w' : 'a' });
    await pipeline(
      req,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          written += chunk.length;
          if (written > size) throw new Error(`more bytes than ${WORKER_UPLOAD_HEADERS.size} says`);
          backend.heard(); // a slow link's upload keeps its worker alive (its pongs queue behind it)
          yield chunk;
        }
      },
      sink,
    ).catch((error: Error) => {
      // A cut connection keeps what arrived: the worker resumes from it.
      log.info({ worker: principal.worker, jobId, name, err: error.message }, 'upload interrupted');
      cut = true;
    });
    if (cut && res.socket?.destroyed) return;
    const received = (await sizeOf(part)) ?? 0;
    if (received < size) return reply(res, 200, { received, complete: false });
    const actual = await hashOf(part);
    if (actual !== sha256 || received !== size) {
      await unlink(part).catch(() => undefined);
      log.warn(
        { worker: principal.worker, jobId, name },
        'output upload refused: checksum mismatch',
      );
      return refuse(
        res,
        'bad_request',
        `the uploaded bytes hash to ${actual}, not ${sha256}; upload it again`,
      );
    }
    await rename(part, target);
    reply(res, 200, { received, complete: true });
  }
}

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => undefined,
  );

async function hashOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
