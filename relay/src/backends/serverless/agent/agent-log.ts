/**
 * @fileoverview A job's agent log for the operator: every journal record on SFS, attempt by
 * attempt, as one line a person can read (images are summarised, never sent). Read straight from
 * the shared volume, so any relay replica answers it, also after a restart.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CancelMarker,
  JournalBatch,
  JournalRecord,
  batchSeq,
  cancelPath,
  jobAgentPath,
  parseJournalDir,
  type AgentLogEntry,
  type AgentLogResponse,
} from '../../../../../protocol/src/index';

/** The newest entries kept per attempt. */
const MAX_ENTRIES = 2000;
const MAX_BATCH_BYTES = 64 << 20;

function describe(record: JournalRecord): Pick<AgentLogEntry, 'what' | 'detail'> {
  switch (record.kind) {
    case 'preview':
      return {
        what: 'preview',
        detail: `node ${record.meta.node_id}, ${Math.round((record.image.length * 3) / 4 / 1024)} KB ${record.mime}`,
      };
    case 'progress_text':
      return { what: 'progress_text', detail: `node ${record.node}: ${record.text.slice(0, 200)}` };
    case 'agent': {
      const detail = Object.entries(record.detail)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ');
      return { what: record.event, detail: [record.outcome, detail].filter(Boolean).join(' ') };
    }
    case 'message': {
      const d = record.data;
      const node = d.node ?? d.node_id;
      if (record.type === 'progress')
        return {
          what: 'progress',
          detail: `node ${String(node)} ${String(d.value)}/${String(d.max)}`,
        };
      if (record.type === 'progress_state') {
        const nodes = Object.values(
          (d.nodes ?? {}) as Record<string, { node_id?: string; state?: string }>,
        );
        return {
          what: 'progress_state',
          detail: nodes.map((n) => `${n.node_id}:${n.state}`).join(' '),
        };
      }
      if (record.type === 'execution_error')
        return {
          what: record.type,
          detail: `node ${String(node)} (${String(d.node_type)}): ${String(d.exception_type)}: ${String(d.exception_message).split('\n')[0]}`,
        };
      if (record.type === 'execution_cached')
        return { what: record.type, detail: `nodes ${JSON.stringify(d.nodes)}` };
      if (record.type === 'executing' && d.node === null)
        return { what: record.type, detail: 'end of prompt (node null)' };
      return { what: record.type, detail: node === undefined ? '' : `node ${String(node)}` };
    }
  }
}

async function readAttempt(dir: string): Promise<{ entries: AgentLogEntry[]; omitted: number }> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => batchSeq(name) !== undefined)
    .sort();
  const entries: AgentLogEntry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (((await stat(path).catch(() => undefined))?.size ?? 0) > MAX_BATCH_BYTES) continue;
    let batch;
    try {
      batch = JournalBatch.safeParse(JSON.parse(await readFile(path, 'utf8')));
    } catch {
      batch = undefined;
    }
    if (!batch?.success) {
      entries.push({
        n: -1,
        at: 0,
        kind: 'invalid',
        what: 'batch',
        detail: `${name} could not be read`,
      });
      continue;
    }
    for (const raw of batch.data.records) {
      const record = JournalRecord.safeParse(raw);
      if (record.success)
        entries.push({
          n: record.data.n,
          at: record.data.at,
          kind: record.data.kind,
          ...describe(record.data),
        });
      else
        entries.push({
          n: -1,
          at: 0,
          kind: 'invalid',
          what: 'record',
          detail: record.error.issues[0]?.message ?? 'malformed',
        });
    }
  }
  const omitted = Math.max(0, entries.length - MAX_ENTRIES);
  return { entries: entries.slice(omitted), omitted };
}

export async function readAgentLog(outputDir: string, jobId: string): Promise<AgentLogResponse> {
  const agentDir = join(outputDir, ...jobAgentPath(jobId).split('/'));
  const attempts: AgentLogResponse['attempts'] = [];
  for (const name of (await readdir(agentDir).catch(() => [] as string[])).sort()) {
    const parsed = parseJournalDir(name);
    if (parsed) attempts.push({ ...parsed, ...(await readAttempt(join(agentDir, name))) });
  }
  let cancel: AgentLogResponse['cancel'] = null;
  try {
    const marker = CancelMarker.parse(
      JSON.parse(await readFile(join(outputDir, ...cancelPath(jobId).split('/')), 'utf8')),
    );
    cancel = { attempt: marker.attempt, reason: marker.reason, at: marker.at };
  } catch {
    cancel = null;
  }
  return { jobId, attempts, cancel };
}
