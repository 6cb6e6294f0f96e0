/**
 * The replay suite (issue 9, item 10): every real ComfyUI recording of both generations replayed
 * through the platform — sidecar, real relay on real Redis, simulated GPU — in each mode, as a stock
 * page would (no extension hello), comparing what the tab received with what real ComfyUI sent.
 * A stock frontend must not be able to tell: same types in the same order, same content once ids,
 * times and temp names are normalised, nothing of ours (`comfyume.*`) on its socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { compare, replay } from '../support/replay';
import { allRecordings, type Recording } from '../support/replay-recordings';
import { modes, startReplayStack, type ModeName } from '../support/replay-stack';

const MODES: ModeName[] = ['direct', 'simulated', 'serverless-agent'];

/** Run4 must still be inside its node 2 (a blur of 4 megapixels: 5 steps) while its pending jobs come and go. */
const stepMsFor = (recording: Recording) => (recording.script.kind === 'interrupt' ? 1_000 : 5);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(MODES)('replay through the platform, %s mode', (mode) => {
  for (const recording of allRecordings()) {
    it(
      recording.name,
      async () => {
        // The attendee's own ComfyUI is the recording's generation: the sidecar answers as that version.
        const stack = await startReplayStack(modes[mode], redis, {
          stepMs: stepMsFor(recording),
          local: { version: recording.generation },
        });
        try {
          const result = await replay(stack, recording);
          const why = result.notes.join('; ');
          const c = compare(recording, result);
          expect(c.types.ours, `message types in order ${why}`).toEqual(c.types.recorded);
          expect(c.content.ours, `message content ${why}`).toEqual(c.content.recorded);
          expect(c.lastProgressState.ours, 'final progress_state').toEqual(
            c.lastProgressState.recorded,
          );
          expect(c.binaryCount.ours, 'binary frames').toBe(c.binaryCount.recorded);
          if (c.historyStatus)
            expect(c.historyStatus.ours, 'history status').toEqual(c.historyStatus.recorded);
        } finally {
          await stack.close();
        }
      },
      120_000,
    );
  }
});
