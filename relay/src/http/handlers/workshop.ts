/**
 * @fileoverview Workshop routes: every token lists and reads the workshop's workflows (the
 * sidecar merges them into the attendee's Workflows sidebar); only the operator publishes a
 * workflow or broadcasts a line of text (403 for an attendee).
 */
import {
  BroadcastRequest,
  WorkflowName,
  type WorkshopNotice,
  type WorkshopWorkflowInfo,
  type WorkshopWorkflowList,
} from '../../../../protocol/src/index';
import type { Principal } from '../../../../kit/user-token';
import { notFound, RelayError } from '../../errors';
import type { Handler } from '../types';
import { parse } from './jobs';

/** What the workshop routes need: the workflow library and the channel to every relay's sockets. */
export type WorkshopContext = {
  workshop: {
    list(): Promise<WorkshopWorkflowList>;
    read(name: string): Promise<string | undefined>;
    publish(
      name: string,
      workflow: unknown,
      options: { isDefault: boolean },
    ): Promise<WorkshopWorkflowInfo>;
  };
  announce(notice: WorkshopNotice): Promise<void>;
};

type WorkshopHandler = Handler<WorkshopContext>;

function requireOperator(principal: Principal, action: string): void {
  if (principal.kind !== 'admin')
    throw new RelayError('forbidden', `only the operator (ADMIN_TOKEN) can ${action}`);
}

const workflowName = (params: Record<string, string>): string =>
  parse(WorkflowName, params.name ?? '', 'workflow name');

export const listWorkflows: WorkshopHandler = async (_ctx, { workshop }) => ({
  status: 200,
  body: await workshop.list(),
});

export const readWorkflow: WorkshopHandler = async (ctx, { workshop }) => {
  const name = workflowName(ctx.params);
  const json = await workshop.read(name);
  if (json === undefined) throw notFound(`workshop workflow ${name}`);
  return { status: 200, body: JSON.parse(json) as unknown };
};

export const publishWorkflow: WorkshopHandler = async (ctx, { workshop, announce }) => {
  requireOperator(ctx.principal, 'publish workshop workflows');
  const name = workflowName(ctx.params);
  const isDefault = ctx.query.default === '1' || ctx.query.default === 'true';
  const workflow = await workshop.publish(name, ctx.body, { isDefault });
  await announce({
    type: 'workshop',
    notice: { kind: 'workflow', name, isDefault, at: workflow.modified },
  });
  return { status: 200, body: { workflow } };
};

export const broadcast: WorkshopHandler = async (ctx, { announce }) => {
  requireOperator(ctx.principal, 'broadcast to the attendees');
  const { text } = parse(BroadcastRequest, ctx.body, 'broadcast');
  const notice: WorkshopNotice = {
    type: 'workshop',
    notice: { kind: 'broadcast', text, at: Date.now() },
  };
  await announce(notice);
  return { status: 202, body: { broadcast: notice.notice } };
};
