/**
 * @fileoverview The dashboard's client for the relay's workshop API (protocol/src/relay/workshop.ts):
 * the workshop's workflows, publishing one (live, to every attendee's sidebar) and the broadcast line.
 */
import {
  WorkshopWorkflowList,
  type WorkshopWorkflowInfo,
} from '../../../protocol/src/relay/workshop';
import { createRelayCall } from './relay-call';

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
  const relayCall = createRelayCall(baseUrl, token, fetchImpl);
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> =>
    (await relayCall(method, path, body)).json().catch(() => undefined);
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
