// The serverless backend on `simulate --replicas 3 --agent` when things go wrong: a replica killed
// with kill -9 mid-job, journal lines that must never be forwarded, and a mixed fleet.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeatPath, journalPath } from '../../protocol/src/index';
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
const rigs: AgentRig[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-sl-agent-fail-'));
});
afterAll(async () => {
  for (const rig of rigs) await rig.close();
  await rm(dir, { recursive: true, force: true });
});

async function rig(name: string, without: number[] = []) {
  const log = memoryLogger();
  const started = await startAgentRig(join(dir, name), log.logger, {
    agent: { heartbeatMs: 2000, without },
  });
  rigs.push(started);
  return { rig: started, log };
}

/** The replica process journaling the job's first attempt. */
async function holderOf(r: AgentRig, jobId: string) {
  let replica = '';
  await until(
    async () => {
      replica = (await journalsOf(r.sfs, jobId))[0]?.replica ?? '';
      return replica !== '';
    },
    60_000,
    'a replica to take the job',
  );
  return r.sim.processes.find((p) => p.replicaId === replica)!;
}

/** Runs a sampler job, kills the replica holding it with SIGKILL once it steps; the run's end and when. */
async function runAndKill(
  r: AgentRig,
  backend: ReturnType<AgentRig['backend']>,
  steps: number,
  store: string,
) {
  const job = agentJob(samplerPrompt(steps));
  const rec = recordingWithPreviews(join(dir, store), memoryLogger().logger);
  const running = backend.run(job, rec.ctx);
  const victim = await holderOf(r, job.id);
  await until(() => rec.messages.some((m) => m.type === 'progress'), 60_000, 'the sampler to step');
  const killedAt = Date.now();
  victim.kill('SIGKILL');
  return { job, rec, running, victim, killedAt };
}

describe('a replica killed with kill -9 mid-job', () => {
  it('is noticed within seconds: the job is resubmitted once on a live replica and done, outputs from the new attempt only', async () => {
    // Timeline printed below; on an idle machine the whole job is done ~8 s after the kill.
    const { rig: r } = await rig('kill');
    const { job, rec, running, victim, killedAt } = await runAndKill(
      r,
      r.backend(),
      30,
      'store-kill',
    );
    let resubmittedAt = 0;
    let restartedAt = 0;
    void until(() => rec.attempted.length === 2, 60_000).then(
      () => (resubmittedAt = Date.now()),
      () => {},
    );
    void until(
      () => rec.messages.filter((m) => m.type === 'execution_start').length === 2,
      60_000,
    ).then(
      () => (restartedAt = Date.now()),
      () => {},
    );
    const result = await running;
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(
      `[kill -9] resubmitted after ${(resubmittedAt - killedAt) / 1000} s, running again after ${(restartedAt - killedAt) / 1000} s, done after ${seconds} s`,
    );
    expect(result.status).toBe('success');
    // Back on a live replica well within the issue's bound (never the 600 s job timeout); the rest
    // is the new run's own GPU time, which a loaded test machine stretches (the bench reports it).
    expect((restartedAt - killedAt) / 1000).toBeLessThan(10);

    const journals = await journalsOf(r.sfs, job.id);
    expect(journals.map((j) => [j.attempt, j.replica === victim.replicaId])).toEqual([
      [1, true],
      [2, false],
    ]);
    // One GPU run per attempt: the dead one on the killed replica, the new one on exactly one live replica.
    expect(await historyCount(r.sim, job.id)).toBe(1);
    expect(rec.attempted).toEqual([job.id, `${job.id}#2`]);
    const found = rec.found.map((f) => ('path' in f.source ? f.source.path : ''));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`/${job.id}/@2/9/`);
    expect(result.outputs['9']!.images).toHaveLength(1);
    expect(typesOf(rec.messages).filter((t) => t === 'execution_start')).toHaveLength(2);
    expect(typesOf(rec.messages).slice(-2)).toEqual(['execution_success', 'executing:null']);
  });

  it('fails with the reason when it may not be resubmitted', async () => {
    const { rig: r } = await rig('kill-fail');
    const { job, rec, running, victim, killedAt } = await runAndKill(
      r,
      r.backend({ agent: { maxResubmits: 0 } }),
      300,
      'store-kill-fail',
    );
    const result = await running;
    expect((Date.now() - killedAt) / 1000).toBeLessThan(15);
    expect(result.status).toBe('error');
    expect(result.error?.exceptionType).toBe('ReplicaDied');
    expect(result.error?.message).toContain(victim.replicaId);
    expect(result.error?.message).toMatch(/heartbeat stopped/);
    expect(rec.attempted).toEqual([job.id]);
  });
});

describe('journal lines that are not to be trusted', () => {
  it('are ignored with one log line each, never forwarded, and the relay carries on', async () => {
    const { rig: r, log } = await rig('bad-lines');
    const backend = r.backend();
    const job = agentJob(samplerPrompt(20));
    const other = agentJob(samplerPrompt(1)); // another user's job
    const replica = 'aaa-injected'; // sorts before the real replicas: the relay follows this journal
    const beat = (n: number) =>
      writeFile(
        join(r.sfs, ...heartbeatPath(replica).split('/')),
        JSON.stringify({
          v: 1,
          replica,
          startedAt: 1,
          at: Date.now(),
          beat: n,
          comfyui: 'x',
          agent: 'test',
          intervalS: 1,
          running: null,
          pending: [],
        }),
      );
    await mkdir(join(r.sfs, 'comfyume', 'replicas'), { recursive: true });
    await beat(0);
    let beats = 1;
    const beating = setInterval(() => void beat(beats++), 500);
    // A heartbeat whose replica id has path characters.
    await writeFile(
      join(r.sfs, 'comfyume', 'replicas', 'evil.json'),
      JSON.stringify({
        v: 1,
        replica: '../../etc/passwd',
        startedAt: 1,
        at: Date.now(),
        beat: 1,
        comfyui: 'x',
        agent: 'x',
        intervalS: 1,
        running: null,
        pending: [],
      }),
    );
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64');
    const meta = (prompt: string) => ({
      node_id: '3',
      prompt_id: prompt,
      display_node_id: '3',
      parent_node_id: null,
      real_node_id: '3',
    });
    const records = [
      { kind: 'agent', event: 'accepted', detail: {} },
      { kind: 'message', type: 'execution_start', data: { prompt_id: job.id, timestamp: 1 } },
      {
        kind: 'message',
        type: 'executed',
        data: { node: '9', output: { images: [] }, prompt_id: other.id },
      },
      { kind: 'message', type: 'progress' }, // malformed: no data
      {
        kind: 'preview',
        source: 4,
        mime: 'image/jpeg',
        meta: meta(job.id),
        image: 'A'.repeat(6 << 20),
      },
      { kind: 'preview', source: 4, mime: 'image/jpeg', meta: meta(job.id), image: jpeg },
      { kind: 'message', type: 'execution_success', data: { prompt_id: job.id, timestamp: 2 } },
      { kind: 'message', type: 'executing', data: { node: null, prompt_id: job.id } },
    ].map((record, n) => ({ n, at: Date.now(), ...record }));
    const folder = join(r.sfs, ...journalPath(job.id, 1, replica).split('/'));
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, '00000001.json'),
      JSON.stringify({ v: 1, job: job.id, attempt: 1, replica, seq: 1, records }),
    );

    const rec = recordingWithPreviews(join(dir, 'store-bad'), log.logger);
    try {
      const result = await backend.run(job, rec.ctx);
      expect(result.status).toBe('success');
    } finally {
      clearInterval(beating);
    }
    expect(typesOf(rec.messages)).toEqual([
      'execution_start',
      'execution_success',
      'executing:null',
    ]);
    expect(rec.messages.every((m) => m.data.prompt_id === job.id)).toBe(true);
    expect(rec.previews).toEqual([
      { nodeId: '3', bytes: 4, mime: 'image/jpeg', meta: expect.any(Object) },
    ]);
    const parsed = () =>
      log.lines.map((line) => JSON.parse(line) as { msg: string; issue?: string; file?: string });
    const evil = () =>
      parsed().filter(
        (l) => l.msg === 'ignoring a replica heartbeat file' && l.file === 'evil.json',
      );
    await until(() => evil().length > 0, 10_000, 'the fleet to read the evil heartbeat'); // it polls every 500 ms
    await new Promise((r) => setTimeout(r, 1200)); // two more polls: still one line
    const lines = parsed();
    const refused = lines
      .filter((l) => l.msg === 'journal record refused; not forwarded')
      .map((l) => l.issue);
    expect(refused).toHaveLength(3);
    expect(refused[0]).toContain(`message for prompt ${other.id}`);
    expect(refused[1]).toMatch(/^data/);
    expect(refused[2]).toMatch(/a preview of \d+ bytes/);
    expect(evil()).toHaveLength(1);
    // The relay carries on: the next job runs on a real replica as usual.
    const next = agentJob(threeOutputPrompt('after', 1, 5));
    expect(
      (await backend.run(next, recordingWithPreviews(join(dir, 'store-after'), log.logger).ctx))
        .status,
    ).toBe('success');
  });
});

describe('a mixed fleet (one replica without the agent)', () => {
  it('follows journals where there is an agent and the evidence path where there is none, per job', async () => {
    const { rig: r } = await rig('mixed', [2]);
    const backend = r.backend({ agent: { claimMs: 2000 } });
    const jobs = [1, 2, 3, 4, 5, 6].map((i) => agentJob(threeOutputPrompt(`mixed${i}`, 1, 40 + i)));
    const recs = jobs.map((_, i) =>
      recordingWithPreviews(join(dir, `store-mixed-${i}`), memoryLogger().logger),
    );
    const results = [];
    for (const [i, job] of jobs.entries()) results.push(await backend.run(job, recs[i]!.ctx)); // one at a time: round robin spreads them
    expect(results.map((res) => res.status)).toEqual(jobs.map(() => 'success'));
    const journaled = await Promise.all(
      jobs.map(async (job) => (await journalsOf(r.sfs, job.id)).length > 0),
    );
    expect(journaled.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(journaled.filter((j) => !j).length).toBeGreaterThanOrEqual(1);
    for (const [i, res] of results.entries()) {
      expect(Object.keys(res.outputs).sort(), `job ${i}`).toEqual(['2', '3', '5']);
      // A replica with the agent said how the job ended; without it the record says (the sidecar's sequence writes the end).
      if (journaled[i])
        expect(typesOf(recs[i]!.messages).slice(-2)).toEqual([
          'execution_success',
          'executing:null',
        ]);
    }
  });
});
