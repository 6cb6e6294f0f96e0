/**
 * The replay suite (issue 9, item 10): every real ComfyUI recording of both generations replayed
 * through the platform — sidecar, real relay on real Redis, simulated GPU — in each mode, as a stock
 * page would (no extension hello), comparing what the tab received with what real ComfyUI sent.
 * A stock frontend must not be able to tell: same types in the same order, same content once ids,
 * times and temp names are normalised, nothing of ours (`comfyume.*`) on its socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../support/redis';
import { compare, replay } from '../support/replay';
import { allRecordings, type Recording } from '../support/replay-recordings';
import { startSimulator } from '../../simulator/src/app';
import { gpuDirs, modes, startReplayStack, type ReplayMode } from '../support/replay-stack';

/** Serverless with the GPU agent (issue 10): 3 replicas, a process each, behind a round-robin balancer. */
const serverlessAgent: ReplayMode = {
  async start(root, stepMs) {
    const dirs = gpuDirs(root);
    const gpu = await startSimulator({ ...dirs, replicas: 3, agent: true, stepMs });
    const env = { INFERENCE_MODE: 'serverless', SERVERLESS_ENDPOINT: gpu.url, SFS_OUTPUT_DIR: dirs.outputDir, SFS_INPUT_DIR: dirs.inputDir, SFS_POLL_MS: '100' };
    return { env, close: () => gpu.close() };
  },
};
const MODES: Record<string, ReplayMode> = { direct: modes.direct, simulated: modes.simulated, 'serverless-agent': serverlessAgent };

/**
 * Recordings that need helper "fidelity"'s part of issue 9 (the escape prefix accepted and failed the
 * way ComfyUI does; an identical rerun answered from the relay's cache). They run as expected
 * failures (`it.fails`) until that part is merged; then they pass, `it.fails` reports it, and they
 * leave this list.
 */
export const AWAITING_FIDELITY = new Set([
  'real-0.8.0/run3_execution_error',
  'real-0.27.0/api/run3_execution_error',
  'real-0.8.0/run2b_cached_rerun',
  'real-0.27.0/api/run2b_cached_rerun',
]);

/** Run4 must still be inside its node 2 (a blur of 4 megapixels: 5 steps) while its pending jobs come and go. */
const stepMsFor = (recording: Recording) => (recording.script.kind === 'interrupt' ? 1_000 : 5);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(Object.keys(MODES))('replay through the platform, %s mode', (mode) => {
  for (const recording of allRecordings()) {
    const test = AWAITING_FIDELITY.has(recording.name) ? it.fails : it;
    test(recording.name, async () => {
      const stack = await startReplayStack(MODES[mode]!, redis, { stepMs: stepMsFor(recording) });
      try {
        const result = await replay(stack, recording);
        const why = result.notes.join('; ');
        const c = compare(recording, result);
        expect(c.types.ours, `message types in order ${why}`).toEqual(c.types.recorded);
        expect(c.content.ours, `message content ${why}`).toEqual(c.content.recorded);
        expect(c.lastProgressState.ours, 'final progress_state').toEqual(c.lastProgressState.recorded);
        expect(c.binaryCount.ours, 'binary frames').toBe(c.binaryCount.recorded);
        if (c.historyStatus) expect(c.historyStatus.ours, 'history status').toEqual(c.historyStatus.recorded);
      } finally {
        await stack.close();
      }
    }, 120_000);
  }
});
