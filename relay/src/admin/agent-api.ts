/**
 * @fileoverview The operator's view of the GPU agent, beside the relay API: the replicas whose
 * heartbeats are on SFS and a job's agent log (protocol/src/agent/admin.ts). Operators only: a
 * user token gets the same 404 as a route that does not exist, no token a 401. Answered from the
 * shared volume and this relay's heartbeat reads, so every relay replica gives the same answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import {
  JobId,
  type AgentLogResponse,
  type ErrorBody,
  type ErrorCode,
  type ReplicasResponse,
} from '../../../protocol/src/index';
import { bearer, verifyToken } from '../../../kit/user-token';
import type { Backend } from '../backends/backend';
import type { ServerlessBackend } from '../backends/serverless';
import { readAgentLog } from '../backends/serverless/agent/agent-log';

export type AgentApiDeps = {
  backends: Backend[];
  relaySecret: string;
  adminToken: string;
  logger: Logger;
  /** SFS_RETENTION_H in ms (0: never swept) and the finish time of a terminal job, to explain a swept journal. */
  sweep?: { retentionMs: number; finishedAt: (jobId: string) => Promise<number | undefined> };
};

/** Answers the request when it is one of ours; false lets the caller pass it on. */
export type AgentApi = (req: IncomingMessage, res: ServerResponse) => boolean;

const REPLICAS = /^\/api\/admin\/replicas\/?$/;
const AGENT_LOG = /^\/api\/admin\/jobs\/([^/]+)\/agent-log\/?$/;

const isServerless = (backend: Backend): backend is ServerlessBackend =>
  typeof (backend as Partial<ServerlessBackend>).replicas === 'function';

/** Every replica the serverless backends' heartbeat reads know (for the API and the gauges). */
export const replicasOf = (backends: Backend[]) =>
  backends.filter(isServerless).flatMap((b) => b.replicas());

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const refusal = (code: ErrorCode, message: string): ErrorBody => ({ error: { code, message } });

/** An empty log of a job that finished longer ago than the retention: its folder was swept, say so. */
async function explainSwept(
  log: AgentLogResponse,
  sweep: AgentApiDeps['sweep'],
): Promise<AgentLogResponse> {
  if (!sweep || sweep.retentionMs <= 0 || log.attempts.length > 0 || log.cancel) return log;
  const finishedAt = await sweep.finishedAt(log.jobId).catch(() => undefined); // Redis down: the plain empty log
  if (finishedAt === undefined || Date.now() - finishedAt <= sweep.retentionMs) return log;
  return { ...log, removed: { finishedAt, retentionH: sweep.retentionMs / 3_600_000 } };
}

export function createAgentApi(deps: AgentApiDeps): AgentApi {
  const serverless = deps.backends.filter(isServerless);
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const logMatch = AGENT_LOG.exec(path);
    if (!REPLICAS.test(path) && !logMatch) return false;
    const token = bearer(req.headers.authorization);
    const principal = token ? verifyToken(token, deps.relaySecret, deps.adminToken) : undefined;
    if (!principal) {
      send(res, 401, refusal('unauthorized', 'send Authorization: Bearer <admin token>'));
      return true;
    }
    if (principal.kind !== 'admin' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      send(res, 404, refusal('not_found', `${req.method} ${path} is not a relay endpoint`));
      return true;
    }
    if (!logMatch) {
      const body: ReplicasResponse = { replicas: replicasOf(serverless), now: Date.now() };
      send(res, 200, body);
      return true;
    }
    const jobId = decodeURIComponent(logMatch[1] as string);
    const backend = serverless[0];
    if (!JobId.safeParse(jobId).success || !backend) {
      send(res, 404, refusal('not_found', 'no agent log for that job'));
      return true;
    }
    readAgentLog(backend.sfsOutputDir, jobId).then(
      async (log) => send(res, 200, await explainSwept(log, deps.sweep)),
      (error: unknown) => {
        deps.logger.warn({ err: (error as Error).message, jobId }, 'reading the agent log failed');
        send(
          res,
          500,
          refusal('internal', 'the agent log could not be read; the error is in the relay log'),
        );
      },
    );
    return true;
  };
}
