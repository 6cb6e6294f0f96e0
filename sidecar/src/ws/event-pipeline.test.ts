import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../protocol/src/comfy/sequence/facts';
import { SequenceBook } from '../../../protocol/src/comfy/sequence/sequence-book';
import type { JobView } from '../../../protocol/src/relay/job';
import type { OutputStore } from '../outputs/output-store';
import { createBrowserHub } from './browser-hub';
import { ClientOutbox } from './client-outbox';
import { createEventPipeline } from './event-pipeline';

const logger = pino({ level: 'silent' });
const job = (id: string): JobRecord => ({
  id,
  userId: 'user001',
  clientId: 'tab',
  state: 'queued',
  lane: 'normal',
  number: 0,
  createdAt: 1_000,
  outputsToExecute: ['2'],
  executedNodes: [],
  cachedNodes: [],
  outputs: {},
  statusMessages: [],
});

function rig() {
  const book = new SequenceBook('0.27.0');
  const statuses: number[] = [];
  const hub = createBrowserHub({
    comfyUrl: 'http://127.0.0.1:9',
    pingMs: 60_000,
    previewBufferBytes: 1 << 20,
    logger,
    outbox: new ClientOutbox(),
    remoteRemaining: () => book.activeCount(),
    onReady: () => undefined,
    onHello: () => undefined,
    onOutboxChange: () => undefined,
  });
  const pipeline = createEventPipeline({
    book,
    hub: { ...hub, broadcastStatus: (remaining: number) => void statuses.push(remaining) },
    outputs: {} as OutputStore, // no `executed` in these tests
    logger,
    handled: () => undefined,
  });
  return { book, statuses, pipeline, close: () => hub.close() };
}

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

describe('the event pipeline seeding from the relay after a (re)connect', () => {
  it('keeps a job submitted after the list was asked for: no count drop, no extra status, its record kept', async () => {
    const r = rig();
    try {
      const mark = r.pipeline.mark(); // the list is asked for now …
      await r.pipeline.submitted(job(A) as JobView); // … and the attendee presses Run before it comes back
      const afterSubmit = [...r.statuses];
      const vanished: string[] = [];
      await r.pipeline.seed([], (gone) => vanished.push(...gone.map((j) => j.id)), mark);
      expect(r.book.job(A)?.state).toBe('queued');
      expect(r.statuses).toEqual(afterSubmit);
      expect(vanished).toEqual([]);
    } finally {
      r.close();
    }
  });

  it('drops a job the relay no longer lists when it was submitted before the list was asked for', async () => {
    const r = rig();
    try {
      await r.pipeline.submitted(job(B) as JobView);
      const mark = r.pipeline.mark();
      const vanished: string[] = [];
      await r.pipeline.seed([], (gone) => vanished.push(...gone.map((j) => j.id)), mark);
      expect(r.book.job(B)).toBeUndefined();
      expect(vanished).toEqual([B]);
      expect(r.statuses.at(-1)).toBe(0);
    } finally {
      r.close();
    }
  });
});
