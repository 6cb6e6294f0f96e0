/**
 * @fileoverview What the job store's Lua scripts are given and what their answers mean: the hash
 * fields of a new job, and the one place where negative script codes become typed errors
 * (BullMQ's finished-errors.ts), so every transition refuses with the same words.
 */
import { LeaseLostError, RelayError } from '../errors';
import type { FinishedJobFacts, NewJob } from '../jobs/job-store';
import { encodePatch } from './job-record';

/** One place where script codes become errors (BullMQ's finished-errors.ts). */
export function failure(code: number, jobId: string, op: string): RelayError {
  switch (code) {
    case -1:
      return new RelayError('not_found', `job ${jobId} was not found`);
    case -2:
      return new LeaseLostError(jobId);
    case -3:
      return new RelayError('conflict', `job ${jobId} has already finished`);
    case -4:
      return new RelayError('conflict', `job ${jobId} is still queued`);
    default:
      return new RelayError('internal', `${op} on job ${jobId} returned code ${code}`);
  }
}

/** The hash fields of a new job: what was submitted, and what it ran (nothing yet, unless created finished). */
export function newJobFields(job: NewJob, facts: FinishedJobFacts = {}): string[] {
  const { clientId, promptId, prompt, extraData, outputsToExecute, inputs } = job;
  return encodePatch({
    clientId,
    promptId,
    prompt,
    extraData,
    outputsToExecute,
    inputs,
    executedNodes: [],
    cachedNodes: [],
    outputs: {},
    statusMessages: [],
    ...facts,
  });
}

export const reusedId = (id: string) =>
  new RelayError(
    'conflict',
    `job id ${id} is already used by a different prompt; mint a new job id for a new prompt`,
  );
