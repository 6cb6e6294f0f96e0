// The serverless backend on `simulate --replicas 3 --agent` (a process per replica): the replica's own
// stream forwarded, its errors, and cancels that reach the replica holding the job on the first try.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger, samplerPrompt, threeOutputPrompt } from './serverless-harness';
import { until } from '../../kit/until';
import {
  agentJob,
  historyCount,
  journalsOf,
  recordingWithPreviews,
  startAgentRig,
  typesOf,
  type AgentRig,
} from './serverless-agent-harness';

let dir: string;
let rig: AgentRig;
const log = memoryLogger();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-sl-agent-'));
  rig = await startAgentRig(dir, log.logger, { failures: { failNodeTypes: ['ImageBlur'] } });
});
afterAll(async () => {
  await rig?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('serverless with the GPU agent: the replica speaks', () => {
  it("forwards the replica's own messages in its order, previews live, executed after the files are stored", async () => {
    const backend = rig.backend();
    const job = agentJob(samplerPrompt(12));
    const rec = recordingWithPreviews(join(dir, 'store-sampler'), log.logger);
    const result = await backend.run(job, rec.ctx);
    expect(result.status).toBe('success');

    const [journal, ...others] = await journalsOf(rig.sfs, job.id);
    expect(others).toEqual([]);
    const journaled = journal!.records.flatMap((r) => (r.kind === 'message' ? [r] : []));
    // Exactly the replica's sequence, message for message: nothing made up, nothing lost.
    expect(typesOf(rec.messages)).toEqual(typesOf(journaled));
    const types = typesOf(rec.messages);
    expect(types.slice(0, 2)).toEqual(['execution_start', 'execution_cached']);
    expect(types.slice(-2)).toEqual(['execution_success', 'executing:null']);
    for (const node of ['4', '5', '6', '7', '3', '8', '9'])
      expect(types).toContain(`executing:${node}`);
    expect(types.filter((t) => t === 'progress')).toHaveLength(12);
    const states = rec.messages.filter((m) => m.type === 'progress_state');
    expect(states.length).toBeGreaterThan(14);
    // Live previews of the sampler, with the replica's metadata.
    expect(rec.previews.length).toBeGreaterThan(0);
    expect(
      rec.previews.every((p) => p.nodeId === '3' && p.mime === 'image/jpeg' && p.bytes > 0),
    ).toBe(true);
    // `executed` names the file as the user's store has it, and it was stored before it went out.
    const executed = rec.messages.find((m) => m.type === 'executed')!;
    expect(executed.data.node).toBe('9');
    const [stored] = [...rec.stored.values()];
    expect(executed.data.output).toEqual({ images: [stored] });
    expect(stored).toMatchObject({ subfolder: '', type: 'output' });
    expect(stored!.filename).toMatch(/^sampled_\d{5}_\.png$/);
    expect(result.outputs).toEqual({ '9': { images: [stored] } });
    expect(result.statusMessages.map(([type]) => type)).toEqual([
      'execution_start',
      'execution_cached',
      'execution_success',
    ]);
    expect(rec.phases).toContain('running');
    expect(await historyCount(rig.sim, job.id)).toBe(1);
  });

  it('delivers PreviewImage as temp and every output once, from a batch', async () => {
    const backend = rig.backend();
    const job = agentJob(threeOutputPrompt('agent/cat', 2, 17));
    const rec = recordingWithPreviews(join(dir, 'store-three'), log.logger);
    const result = await backend.run(job, rec.ctx);
    expect(result.status).toBe('success');
    expect(Object.keys(result.outputs).sort()).toEqual(['2', '3', '5']);
    expect(result.outputs['3']!.images).toHaveLength(2);
    expect(result.outputs['3']!.images!.every((i) => (i as { type: string }).type === 'temp')).toBe(
      true,
    );
    expect(
      result.outputs['5']!.images!.every(
        (i) => (i as { subfolder: string }).subfolder === 'inverted/agent',
      ),
    ).toBe(true);
    expect(rec.stored.size).toBe(6);
    expect(rec.storeCalls).toBe(6);
  });

  it("ends with the replica's own execution_error, the node the user knows", async () => {
    const backend = rig.backend();
    const job = agentJob({
      '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 3 } },
      '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 1, sigma: 1 } },
      '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
    });
    const rec = recordingWithPreviews(join(dir, 'store-error'), log.logger);
    const result = await backend.run(job, rec.ctx);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ nodeId: '2', nodeType: 'ImageBlur' });
    expect(result.error!.exceptionMessage).toContain('Simulated failure of ImageBlur');
    expect(typesOf(rec.messages).slice(-2)).toEqual(['execution_error', 'executing:null']);
    const error = rec.messages.find((m) => m.type === 'execution_error')!;
    expect(error.data).toMatchObject({ prompt_id: job.id, node_id: '2', node_type: 'ImageBlur' });
  });
});

describe('serverless with the GPU agent: cancel', () => {
  it('interrupts the running job on the replica holding it, with no interrupt sent through the balancer', async () => {
    const backend = rig.backend();
    const job = agentJob(samplerPrompt(5000));
    const rec = recordingWithPreviews(join(dir, 'store-cancel'), log.logger);
    const interruptsBefore = rig.sim.balancer!.requests.get('POST /interrupt') ?? 0;
    const running = backend.run(job, rec.ctx);
    await until(
      () => rec.messages.some((m) => m.type === 'progress'),
      60_000,
      'the sampler to step',
    );
    await backend.cancel(job.id);
    const result = await running;
    expect(result.status).toBe('interrupted');
    expect(typesOf(rec.messages).slice(-2)).toEqual(['execution_interrupted', 'executing:null']);
    expect(rig.sim.balancer!.requests.get('POST /interrupt') ?? 0).toBe(interruptsBefore);
    const [journal] = await journalsOf(rig.sfs, job.id);
    const cancels = journal!.records.filter((r) => r.kind === 'agent' && r.event === 'cancel');
    expect(cancels).toMatchObject([{ outcome: 'interrupted' }]);
  });

  it('takes a pending job out of the queue of the replica holding it', async () => {
    const backend = rig.backend();
    // Three long jobs fill the three replicas; the fourth waits in one of their queues.
    const blockers = [1, 2, 3].map(() => agentJob(samplerPrompt(5000)));
    const blockerRecs = blockers.map((_, i) =>
      recordingWithPreviews(join(dir, `store-block-${i}`), log.logger),
    );
    const runs = blockers.map((j, i) => backend.run(j, blockerRecs[i]!.ctx));
    await until(
      () => blockerRecs.every((r) => r.messages.some((m) => m.type === 'progress')),
      60_000,
      'three replicas busy',
    );
    const waiting = agentJob(samplerPrompt(3));
    const rec = recordingWithPreviews(join(dir, 'store-pending'), log.logger);
    const pending = backend.run(waiting, rec.ctx);
    await until(
      async () => (await journalsOf(rig.sfs, waiting.id)).length === 1,
      30_000,
      'a replica to queue it',
    );
    await backend.cancel(waiting.id);
    const result = await pending;
    expect(result.status).toBe('interrupted');
    expect(rec.messages).toEqual([]); // it never ran: ComfyUI says nothing, the scheduler ends it
    const [journal] = await journalsOf(rig.sfs, waiting.id);
    const agentEvents = journal!.records.flatMap((r) =>
      r.kind === 'agent' ? [`${r.event}:${r.outcome ?? ''}`] : [],
    );
    expect(agentEvents).toEqual(['accepted:', 'cancel:dequeued', 'closed:']);
    for (const blocker of blockers) await backend.cancel(blocker.id);
    expect((await Promise.all(runs)).map((r) => r.status)).toEqual([
      'interrupted',
      'interrupted',
      'interrupted',
    ]);
    expect(await historyCount(rig.sim, waiting.id)).toBe(0);
  });
});

describe('serverless with the GPU agent: a relay restart mid-job', () => {
  it('takes over without resending what the dead relay forwarded, and forwards the rest', async () => {
    const first = rig.backend();
    const job = agentJob(samplerPrompt(60));
    const before = recordingWithPreviews(join(dir, 'store-takeover'), log.logger);
    const dying = first.run(job, before.ctx);
    await until(
      () => before.messages.filter((m) => m.type === 'progress').length >= 3,
      60_000,
      'the sampler to step',
    );
    before.controller.abort(new Error('relay shutting down'));
    await expect(dying).rejects.toThrow('relay shutting down');
    await first.close();
    const after = recordingWithPreviews(join(dir, 'store-takeover'), log.logger);
    const result = await rig.backend().run(
      {
        ...job,
        resume: {
          submittedAt: Date.now() - 1000,
          submitAttemptedAt: Date.now() - 1100,
          backendRef: job.id,
        },
      },
      after.ctx,
    );
    expect(result.status).toBe('success');
    expect(after.attempted).toEqual([]); // never posted again
    const types = typesOf(after.messages);
    expect(types).not.toContain('execution_start');
    expect(types.slice(-2)).toEqual(['execution_success', 'executing:null']);
    const steps = (list: typeof before.messages) =>
      list.filter((m) => m.type === 'progress').map((m) => Number(m.data.value));
    // Between them the two relays forwarded the run once; what the dead one had sent is not sent again.
    const seen = [...steps(before.messages), ...steps(after.messages)];
    expect(Math.max(...steps(before.messages))).toBeLessThan(Math.min(...steps(after.messages)));
    expect(new Set(seen).size).toBe(seen.length);
    expect(result.outputs['9']!.images).toHaveLength(1);
    expect(result.statusMessages.map(([t]) => t)).toEqual([
      'execution_start',
      'execution_cached',
      'execution_success',
    ]);
    expect(await historyCount(rig.sim, job.id)).toBe(1);
  });
});
