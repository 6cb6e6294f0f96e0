/**
 * @fileoverview Runs the merge: relay events go through one serial queue into the JobSequencer,
 * and its actions are performed in order — outputs fetched into the local folders before an
 * `executed` is delivered, `status` recomputed when it is sent, timers fed back into the queue,
 * and the event id persisted only after the event was fully handled (so a restart resumes there).
 */
import { ComfyWsMessage } from '../../../protocol/src/comfy/ws';
import { decodeBinaryFrame } from '../../../protocol/src/comfy/ws-binary';
import { pyJsonDumps } from '../../../protocol/src/comfy/py-format';
import type { RelayEvent } from '../../../protocol/src/relay/events';
import type { JobView } from '../../../protocol/src/relay/job';
import type { Logger } from '../logger';
import type { OutputStore } from '../outputs/output-store';
import type { StateStore } from '../state/state-store';
import type { BrowserHub } from './browser-hub';
import type { Action, JobSequencer, JobSnapshot, WsMessage } from './job-sequencer';

type Deps = {
  sequencer: JobSequencer;
  hub: BrowserHub;
  outputs: OutputStore;
  state: StateStore;
  logger: Logger;
};

/** ComfyUI's bytes for a message (Python json.dumps); strictly checked when it is a core type. */
export function encodeMessage(message: WsMessage, logger?: Logger): string {
  const strict = ComfyWsMessage.safeParse(message);
  if (!strict.success && logger) {
    logger.debug({ type: message.type, issues: strict.error.issues.slice(0, 2) }, 'forwarding a non-core message shape');
  }
  return pyJsonDumps({ type: message.type, data: message.data });
}

export function createEventPipeline({ sequencer, hub, outputs, state, logger }: Deps) {
  let chain: Promise<void> = Promise.resolve();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const enqueue = (task: () => Promise<void> | void) => {
    chain = chain.then(task).catch((error: unknown) => logger.error({ err: error }, 'event pipeline task failed'));
    return chain;
  };

  async function perform(actions: Action[]): Promise<void> {
    for (const action of actions) {
      switch (action.kind) {
        case 'status':
          hub.broadcastStatus();
          break;
        case 'comfyume':
          hub.broadcastText(JSON.stringify(action.message));
          break;
        case 'preview':
          hub.deliverPreview(action.clientId, action.frame);
          break;
        case 'timer': {
          if (closed) break;
          const timer = setTimeout(() => {
            timers.delete(timer);
            void enqueue(() => perform(sequencer.onTimer(action.jobId, action.timer, action.token)));
          }, action.ms);
          timers.add(timer);
          break;
        }
        case 'message': {
          let message = action.message;
          if (message.type === 'executed' && message.data.output) {
            message = { ...message, data: { ...message.data, output: await outputs.localize(action.jobId, message.data.output) } };
          }
          hub.deliverText(message.type, action.clientId, encodeMessage(message, logger));
          break;
        }
      }
    }
  }

  return {
    onRelayEvent(event: RelayEvent) {
      return enqueue(async () => {
        const actions =
          event.type === 'job'
            ? sequencer.onJob(event.job)
            : sequencer.onComfy(event.jobId, event.clientId, event.message as WsMessage);
        await perform(actions);
        state.setLastEventId(event.id);
      });
    },
    onRelayPreview(frame: Uint8Array) {
      const decoded = decodeBinaryFrame(frame);
      if (decoded.kind !== 'preview_with_metadata') return chain;
      return enqueue(() => perform(sequencer.onPreview(String(decoded.meta.prompt_id), frame)));
    },
    /**
     * A job this sidecar just submitted: counted at once, so the enqueue `status` shows it. Not
     * queued behind a slow output download: it only sends `status`, whose order does not matter.
     */
    submitted(job: JobView) {
      return perform(sequencer.submitted(job));
    },
    /** The relay's active jobs after a (re)connect; a `status` goes out when the count changed. */
    seed(active: JobSnapshot[]) {
      return enqueue(() => {
        const before = sequencer.activeCount();
        sequencer.seed(active);
        if (sequencer.activeCount() !== before) hub.broadcastStatus();
      });
    },
    /** Reconnecting tab: its running job's current node and progress. */
    snapshotFor(clientId: string) {
      return perform(sequencer.snapshotFor(clientId));
    },
    /** Waits until everything queued so far has been handled. */
    idle: () => chain,
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return chain;
    },
  };
}

export type EventPipeline = ReturnType<typeof createEventPipeline>;
