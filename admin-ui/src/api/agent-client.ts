/**
 * @fileoverview The dashboard's client for the relay's GPU-agent API (protocol/src/agent/admin.ts):
 * the replicas and a job's agent log, answers parsed with the protocol schemas.
 */
import { AgentLogResponse, ReplicasResponse } from '../../../protocol/src/agent/admin';

const TIMEOUT_MS = 10_000;

export type AgentClient = {
  replicas(): Promise<ReplicasResponse>;
  agentLog(jobId: string): Promise<AgentLogResponse>;
};

export function createAgentClient(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): AgentClient {
  async function get(path: string): Promise<unknown> {
    const response = await fetchImpl(new URL(path, baseUrl), {
      // '' = the proxy in front (nginx, basic auth) adds the operator's Bearer token itself.
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(TIMEOUT_MS),
      cache: 'no-store',
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const message = (body as { error?: { message?: string } } | undefined)?.error?.message;
      throw new Error(message ?? `${response.status} ${response.statusText}`);
    }
    return body;
  }
  return {
    replicas: async () => ReplicasResponse.parse(await get('api/admin/replicas')),
    agentLog: async (jobId) =>
      AgentLogResponse.parse(await get(`api/admin/jobs/${encodeURIComponent(jobId)}/agent-log`)),
  };
}
