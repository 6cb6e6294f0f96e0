/**
 * @fileoverview The history `status.messages` of a relay job, as shapes/history.ts needs them:
 * written by the one owner of ComfyUI's message sequence (protocol/comfy/sequence/terminal).
 */
export {
  hasStarted,
  historyMessages,
  type HistoryMessage as StatusMessage,
} from '../../../protocol/src/comfy/sequence/terminal';
