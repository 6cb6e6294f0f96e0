/**
 * @fileoverview The browser side of the sidecar, assembled: the user's message sequence (restored
 * from the journal after a restart), the browser hub, the event pipeline, and what a page gets when
 * it (re)connects — ComfyUI's `executing {node}` for its running job and what it missed — or when
 * it announces our extension: the relay's state and a `comfyume.job` snapshot of each active job.
 */
import { SequenceBook } from '../../../protocol/src/comfy/sequence/sequence-book';
import type { Logger } from '../logger';
import type { OutputStore } from '../outputs/output-store';
import { createBrowserHub } from './browser-hub';
import { ClientOutbox } from './client-outbox';
import { createEventPipeline, encodeMessage, jobMessageText } from './event-pipeline';
import { createWsJournal, readWsJournal } from './ws-journal';

/** How far back a sidecar without any saved state reads the relay's events (clocks may differ a little). */
const FIRST_START_LOOKBACK_MS = 60_000;

export type WsMergeOptions = {
  comfyUrl: string;
  /** The attendee's ComfyUI version until it is read from its `/system_stats`. */
  comfyVersion: string;
  /** The version read from the attendee's ComfyUI, when known (asked before each fact is applied). */
  detectedVersion?: () => string | undefined;
  stateDir: string;
  pingMs: number;
  previewBufferBytes: number;
  outputs: OutputStore;
  logger: Logger;
  /** Where the relay event stream resumed before this journal existed (older sidecar state). */
  legacyLastEventId?: string;
};

export function createWsMerge(options: WsMergeOptions) {
  const { logger } = options;
  const journalLog = logger.child({ mod: 'ws-journal' });
  const restored = readWsJournal(options.stateDir, journalLog);
  const sequence = new SequenceBook(options.comfyVersion, restored.book);
  const outbox = new ClientOutbox(restored.outbox);
  // A first start still resumes from (shortly before) now: events of jobs queued while the event
  // socket was still connecting are not lost.
  let lastEventId =
    restored.lastEventId ??
    options.legacyLastEventId ??
    `${Date.now() - FIRST_START_LOOKBACK_MS}-0`;
  const journal = createWsJournal(
    options.stateDir,
    () => ({ lastEventId, book: sequence.snapshot(), outbox: outbox.snapshot() }),
    journalLog,
  );
  let relayConnected = false;
  /** Set once the relay reported that its Redis lost its data: every page with our extension keeps seeing it. */
  let dataLost: { detectedAt: number; message: string } | undefined;

  const relayStatusText = () =>
    JSON.stringify({
      type: 'comfyume.relay',
      data: {
        ...(relayConnected
          ? { connected: true }
          : {
              connected: false,
              message:
                'The GPU queue service is unreachable; reconnecting. Your ComfyUI still works.',
            }),
        ...(dataLost ? { dataLost } : {}),
      },
    });

  const hub = createBrowserHub({
    comfyUrl: options.comfyUrl,
    pingMs: options.pingMs,
    previewBufferBytes: options.previewBufferBytes,
    logger: logger.child({ mod: 'ws' }),
    outbox,
    remoteRemaining: () => sequence.activeCount(),
    onReady: (session) => {
      if (!session.clientId) return;
      for (const frame of sequence.reconnectFrames(session.clientId))
        session.sendText(encodeMessage(frame));
    },
    onHello: (session) => {
      session.sendText(relayStatusText());
      for (const job of sequence.activeJobs()) session.sendText(jobMessageText(job));
    },
    onOutboxChange: () => journal.changed(),
  });

  const pipeline = createEventPipeline({
    book: sequence,
    version: () => options.detectedVersion?.() ?? options.comfyVersion,
    hub,
    outputs: options.outputs,
    logger: logger.child({ mod: 'merge' }),
    handled: (eventId) => {
      lastEventId = eventId;
      journal.changed();
    },
  });

  return {
    hub,
    pipeline,
    book: sequence,
    /** Where the relay event stream resumes. */
    get lastEventId() {
      return lastEventId;
    },
    /** The attendee's ComfyUI version, once read from its `/system_stats`: the sequence follows it from now on. */
    setComfyVersion(version: string | undefined) {
      sequence.setVersion(version ?? options.comfyVersion);
    },
    /** The relay event socket went up or down: pages with our extension are told. */
    relayConnection(connected: boolean) {
      relayConnected = connected;
      hub.broadcastExtension(relayStatusText());
    },
    /** The relay reported that its Redis lost its data: pages with our extension are told (and every page that says hello later). */
    relayDataLost(lost: { detectedAt: number; message: string }) {
      dataLost = lost;
      hub.broadcastExtension(relayStatusText());
    },
    get relayConnected() {
      return relayConnected;
    },
    async close() {
      hub.close();
      await pipeline.close();
      await journal.close();
    },
  };
}

export type WsMerge = ReturnType<typeof createWsMerge>;
