/**
 * @fileoverview Shared by the serverless-agent suites: a 3-replica `simulate --agent` (one process
 * per replica), serverless backends on it, jobs, a recording context that also keeps previews,
 * and readers for what the replicas journaled and ran.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  JournalBatch,
  JournalRecord,
  batchSeq,
  jobAgentPath,
  parseJournalDir,
} from '../../protocol/src/index';
import {
  createServerlessBackend,
  type ServerlessBackend,
  type ServerlessConfig,
} from '../../relay/src/backends/serverless';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../simulator/src/app';
import { recordingContext, type Recorded } from './serverless-harness';

export type AgentRig = {
  dir: string;
  sim: RunningSimulator;
  sfs: string;
  backend(overrides?: Partial<ServerlessConfig>): ServerlessBackend;
  close(): Promise<void>;
};

export async function startAgentRig(
  dir: string,
  logger: Logger,
  sim: Partial<SimulatorOptions> = {},
): Promise<AgentRig> {
  const sfs = join(dir, 'sfs-output');
  const simulator = await startSimulator({
    outputDir: sfs,
    inputDir: join(dir, 'sfs-input'),
    tempDir: join(dir, 'gpu-temp'),
    replicas: 3,
    stepMs: 20,
    agent: { heartbeatMs: 2000 },
    ...sim,
  });
  const backends: ServerlessBackend[] = [];
  return {
    dir,
    sim: simulator,
    sfs,
    backend(overrides = {}) {
      const backend = createServerlessBackend(
        {
          endpoint: simulator.url,
          sfsOutputDir: sfs,
          pollMs: 100,
          historyPollMs: 300,
          settleMs: 1500,
          jobTimeoutMs: 10 * 60_000, // far beyond any test: an end seen only at the timeout fails the test
          coldStartBudgetMs: 20_000,
          capacity: 8,
          ...overrides,
        },
        { logger },
      );
      backends.push(backend);
      return backend;
    },
    async close() {
      for (const backend of backends) await backend.close();
      await simulator.close();
    },
  };
}

export { runnableJob as agentJob } from './serverless-harness';

export type PreviewSeen = {
  nodeId: string;
  bytes: number;
  mime: string;
  meta?: Record<string, unknown>;
};

/** recordingContext (serverless-harness.ts) that also keeps the previews it is handed. */
export function recordingWithPreviews(
  storeDir: string,
  logger: Logger,
): Recorded & { previews: PreviewSeen[] } {
  const rec = recordingContext(storeDir, logger) as Recorded & { previews: PreviewSeen[] };
  rec.previews = [];
  rec.ctx.preview = (nodeId, image, mime, meta) =>
    void rec.previews.push({ nodeId, bytes: image.length, mime, meta });
  return rec;
}

export type JournalSeen = { attempt: number; replica: string; records: JournalRecord[] };

/** Every journal of a job on the shared volume, parsed with the protocol's schemas. */
export async function journalsOf(sfs: string, jobId: string): Promise<JournalSeen[]> {
  const agentDir = join(sfs, ...jobAgentPath(jobId).split('/'));
  const out: JournalSeen[] = [];
  for (const name of (await readdir(agentDir).catch(() => [] as string[])).sort()) {
    const parsed = parseJournalDir(name);
    if (!parsed) continue;
    const records: JournalRecord[] = [];
    // Batch files only: a write in progress is a temporary file beside them.
    for (const file of (await readdir(join(agentDir, name)))
      .filter((f) => batchSeq(f) !== undefined)
      .sort()) {
      const batch = JournalBatch.parse(
        JSON.parse(await readFile(join(agentDir, name, file), 'utf8')),
      );
      for (const raw of batch.records) records.push(JournalRecord.parse(raw));
    }
    out.push({ ...parsed, records });
  }
  return out;
}

/** How many replicas ran the job (hold a history entry for it). */
export async function historyCount(sim: RunningSimulator, jobId: string): Promise<number> {
  const answers = await Promise.all(
    sim.processes
      .filter((p) => !p.exited)
      .map((p) =>
        fetch(`${p.url}/history/${jobId}`).then(
          (res) => res.json() as Promise<Record<string, unknown>>,
        ),
      ),
  );
  return answers.filter((answer) => jobId in answer).length;
}

/** Message types in order, `executing` with its node (null kept apart). */
export const typesOf = (messages: { type: string; data: Record<string, unknown> }[]) =>
  messages.map((m) => (m.type === 'executing' ? `executing:${String(m.data.node)}` : m.type));
