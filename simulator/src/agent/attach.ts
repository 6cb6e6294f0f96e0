/**
 * @fileoverview Attaches a SimAgent to one replica the way gpu-agent/comfyume_agent/hooks.py
 * attaches to ComfyUI: the hub's senders are wrapped (every message, in wire order, also when
 * the target client has no socket), the queue's `put` claims our prompts before they can run, and
 * our client ids are answered "supports preview metadata" so previews come as type 4.
 */
import type { Executor } from '../engine/executor';
import type { PromptQueue } from '../engine/queue';
import type { WsHub } from '../server/ws-hub';
import type { SimAgent } from './agent';

export function attachAgent(agent: SimAgent, hub: WsHub, queue: PromptQueue): void {
  const send = hub.send.bind(hub);
  const sendBinary = hub.sendBinary.bind(hub);
  const supports = hub.supports.bind(hub);
  const put = queue.put.bind(queue);
  hub.send = (type, data, sid) => {
    agent.onText(type, data);
    send(type, data, sid);
  };
  hub.sendBinary = (frame, sid) => {
    agent.onBinary(frame);
    sendBinary(frame, sid);
  };
  hub.supports = (sid, feature) =>
    (feature === 'supports_preview_metadata' && agent.isOurClient(sid)) || supports(sid, feature);
  queue.put = (item) => {
    agent.onQueued(item[1], item[0], item[3]); // claimed before it is queued, as the Python agent does
    put(item);
  };
}

/** The replica as the agent sees it (hooks.py's ComfyView). */
export function comfyView(queue: PromptQueue, executor: Executor, version: string) {
  const ids = (items: { 1: string }[]) => new Set(items.map((item) => item[1]));
  return {
    version,
    queueIds: () => ({ running: ids(queue.runningItems()), pending: ids(queue.pendingItems()) }),
    runningPrompt: () => queue.runningItems()[0]?.[1],
    deletePending: (promptId: string) => queue.deleteQueueItem((item) => item[1] === promptId),
    interrupt: () => executor.interrupt(),
  };
}
