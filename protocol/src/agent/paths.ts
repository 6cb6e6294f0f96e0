/**
 * @fileoverview Where the agent's files live, relative to the GPU output folder (POSIX separators;
 * callers join them onto their own mount point). The Python agent mirrors these names exactly
 * (gpu-agent/comfyume_agent/paths.py); fixtures/journal.example.json lists them for both.
 */

/** Folder of tagged outputs, journals and heartbeats under the GPU output folder. */
export const AGENT_ROOT = 'comfyume';
/** Heartbeats of every replica. Not a job id, so never taken for a job folder. */
export const REPLICAS_DIR = 'replicas';
/** Per-job folder of the agent's files: dot-named, so never an output. */
export const JOB_AGENT_DIR = '.agent';
export const CANCEL_FILE = 'cancel.json';

/** Batch file names sort in write order: 8 zero-padded digits. */
export const batchFileName = (seq: number): string => `${String(seq).padStart(8, '0')}.json`;

/** The sequence number of a batch file name, or undefined for anything else (temp files, strays). */
export function batchSeq(name: string): number | undefined {
  const match = /^(\d{8,})\.json$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** `<attempt>-<replicaId>`: one journal folder per attempt and replica. */
export const journalDirName = (attempt: number, replicaId: string): string =>
  `${attempt}-${replicaId}`;

/** Attempt and replica of a journal folder name, or undefined when it is not one. */
export function parseJournalDir(name: string): { attempt: number; replica: string } | undefined {
  const match = /^(\d{1,2})-([A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/.exec(name);
  if (!match) return undefined;
  return { attempt: Number(match[1]), replica: match[2] as string };
}

export const heartbeatPath = (replicaId: string): string =>
  `${AGENT_ROOT}/${REPLICAS_DIR}/${replicaId}.json`;
export const jobAgentPath = (jobId: string): string => `${AGENT_ROOT}/${jobId}/${JOB_AGENT_DIR}`;
export const cancelPath = (jobId: string): string => `${jobAgentPath(jobId)}/${CANCEL_FILE}`;
export const journalPath = (jobId: string, attempt: number, replicaId: string): string =>
  `${jobAgentPath(jobId)}/${journalDirName(attempt, replicaId)}`;
