/**
 * @fileoverview The relay's live workshop notices, as the `comfyume.*` messages a page running our
 * extension gets (protocol/src/relay/workshop.ts): a published workflow, the operator's broadcast line.
 */
import type {
  ComfyumeBroadcastMessage,
  ComfyumeWorkflowMessage,
  WorkshopNotice,
} from '../../../protocol/src/relay/workshop';

export function noticeMessage(
  notice: WorkshopNotice,
): ComfyumeWorkflowMessage | ComfyumeBroadcastMessage {
  const n = notice.notice;
  return n.kind === 'workflow'
    ? { type: 'comfyume.workflow', data: { name: n.name, isDefault: n.isDefault, at: n.at } }
    : { type: 'comfyume.broadcast', data: { text: n.text, at: n.at } };
}
