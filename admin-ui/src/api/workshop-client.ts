/**
 * @fileoverview The dashboard's client for the relay's workshop API (protocol/src/relay/workshop.ts):
 * the workshop's workflows, publishing one (live, to every attendee's sidebar) and the broadcast line.
 */
import {
  WorkshopWorkflowList,
  type WorkshopWorkflowInfo,
} from '../../../protocol/src/relay/workshop';

const TIMEOUT_MS = 10_000;

export type WorkshopClient = {
  list(): Promise<WorkshopWorkflowList>;
  publish(name: string, workflow: unknown, isDefault: boolean): Promise<WorkshopWorkflowInfo>;
  broadcast(text: string): Promise<void>;
};

export function createWorkshopClient(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): WorkshopClient {
  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetchImpl(new URL(path, baseUrl), {
      method,
      headers: {
        // '' = the proxy in front (nginx, basic auth) adds the operator's Bearer token itself.
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      cache: 'no-store',
    });
    const answer: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const message = (answer as { error?: { message?: string } } | undefined)?.error?.message;
      throw new Error(message ?? `${response.status} ${response.statusText}`);
    }
    return answer;
  }
  return {
    list: async () => WorkshopWorkflowList.parse(await call('GET', 'api/workshop/workflows')),
    publish: async (name, workflow, isDefault) =>
      (
        (await call(
          'PUT',
          `api/workshop/workflows/${encodeURIComponent(name)}${isDefault ? '?default=1' : ''}`,
          workflow,
        )) as { workflow: WorkshopWorkflowInfo }
      ).workflow,
    broadcast: async (text) => {
      await call('POST', 'api/workshop/broadcast', { text });
    },
  };
}
