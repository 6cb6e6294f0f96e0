/**
 * @fileoverview Runs the merge: relay events go through one serial queue into the user's
 * SequenceBook (protocol/comfy/sequence), and what it emits is delivered in order — outputs fetched
 * into the local folders before an `executed` goes out, `status` with this user's count, job
 * messages to their tab — and the journal saved after each event, so a restart resumes there.
 * Our `comfyume.job` snapshots go to the pages that run our extension.
 */
import { ComfyWsMessage } from '../../../protocol/src/comfy/ws';
import { decodeBinaryFrame } from '../../../protocol/src/comfy/ws-binary';
import { pyJsonDumps } from '../../../protocol/src/comfy/py-format';
import type { ComfyMessage, Emission, JobRecord } from '../../../protocol/src/comfy/sequence/facts';
import { jobLevelError } from '../../../protocol/src/comfy/sequence/terminal';
import { isTerminal } from '../../../protocol/src/relay/job';
import type { SequenceBook } from '../../../protocol/src/comfy/sequence/sequence-book';
import type { RelayEvent } from '../../../protocol/src/relay/events';
import type { JobView } from '../../../protocol/src/relay/job';
import type { Logger } from '../logger';
import type { OutputStore } from '../outputs/output-store';
import type { BrowserHub } from './browser-hub';

export type JobSnapshot = JobRecord;

type Deps = {
  book: SequenceBook;
  /** The attendee's ComfyUI version now: the sequence follows it (a ComfyUI upgraded under us too). */
  version?: () => string | undefined;
  hub: BrowserHub;
  outputs: OutputStore;
  logger: Logger;
  /** A relay event was fully handled (its id is where the event stream resumes). */
  handled: (eventId: string) => void;
};

/**
 * ComfyUI's bytes for a message (Python json.dumps). A message that does not pass the strict
 * schema of its core type is still sent, so the check only runs when its debug line would be logged.
 */
export function encodeMessage(message: ComfyMessage, logger?: Logger): string {
  const strict = logger?.isLevelEnabled('debug') ? ComfyWsMessage.safeParse(message) : undefined;
  if (strict && !strict.success && logger) {
    logger.debug(
      { type: message.type, issues: strict.error.issues.slice(0, 2) },
      'forwarding a non-core message shape',
    );
  }
  return pyJsonDumps({ type: message.type, data: message.data });
}

export const jobMessageText = (job: JobRecord) =>
  JSON.stringify({ type: 'comfyume.job', data: job });

export function createEventPipeline({ book, hub, outputs, logger, handled, version }: Deps) {
  let chain: Promise<void> = Promise.resolve();

  const enqueue = (task: () => Promise<void> | void) => {
    chain = chain
      .then(() => {
        if (version) book.setVersion(version());
        return task();
      })
      .catch((error: unknown) => logger.error({ err: error }, 'event pipeline task failed'));
    return chain;
  };

  async function perform(emissions: Emission[]): Promise<void> {
    for (const emission of emissions) {
      if (emission.kind === 'status') {
        hub.broadcastStatus(emission.remoteRemaining);
        continue;
      }
      let message = emission.message;
      if (message.type === 'executed' && message.data.output) {
        message = {
          ...message,
          data: {
            ...message.data,
            output: await outputs.localize(emission.jobId, message.data.output),
          },
        };
      }
      hub.deliverJobMessage(
        emission.clientId,
        emission.jobId,
        message,
        encodeMessage(message, logger),
      );
    }
  }

  /** Submissions so far, and the count at which each job was submitted here: a job list asked for before a submission cannot know it. */
  let submissions = 0;
  const submittedAfter = new Map<string, number>();

  return {
    /** A mark to take before asking the relay for its job list, handed back to `seed`. */
    mark: () => submissions,
    onRelayEvent(event: RelayEvent) {
      return enqueue(async () => {
        if (event.type === 'job') {
          hub.broadcastExtension(jobMessageText(event.job));
          await perform(book.apply({ kind: 'record', job: event.job }, event.id));
        } else if (event.type === 'comfy') {
          await perform(
            book.apply(
              { kind: 'gpu', jobId: event.jobId, clientId: event.clientId, message: event.message },
              event.id,
            ),
          );
        } else {
          await perform(
            book.apply(
              { kind: 'evidence', jobId: event.jobId, clientId: event.clientId, fact: event.fact },
              event.id,
            ),
          );
        }
        handled(event.id);
      });
    },
    onRelayPreview(frame: Uint8Array) {
      const decoded = decodeBinaryFrame(frame);
      if (decoded.kind !== 'preview_with_metadata') return chain;
      const jobId = String(decoded.meta.prompt_id);
      return enqueue(() => {
        const clientId = book.liveClient(jobId);
        if (clientId !== undefined) hub.deliverPreview(clientId, frame);
      });
    },
    /**
     * A job this sidecar just submitted: counted at once, so the enqueue `status` shows it. Not
     * queued behind a slow output download: it only sends `status`, whose order does not matter.
     */
    submitted(job: JobView) {
      const { prompt: _p, extraData: _e, ...record } = job;
      submittedAfter.set(record.id, ++submissions);
      if (submittedAfter.size > 1_000) submittedAfter.delete(submittedAfter.keys().next().value!);
      hub.broadcastExtension(jobMessageText(record));
      return perform(book.apply({ kind: 'submitted', job: record }));
    },
    /**
     * The relay's active jobs after a (re)connect; a `status` goes out when the count changed.
     * `vanished` gets the jobs we held as active that the relay no longer lists (lost with its data, or ended while we were away).
     */
    seed(
      active: JobSnapshot[],
      vanished?: (jobs: JobRecord[]) => void,
      mark = Number.POSITIVE_INFINITY,
    ) {
      return enqueue(() => {
        const before = book.activeCount();
        const listed = new Set(active.map((job) => job.id));
        // Submitted here after the list was asked for: the list cannot have it yet; keep it, or the
        // tab would see its queue count drop and come back (an extra `status`), and lose its record.
        const newer = book
          .activeJobs()
          .filter((job) => !listed.has(job.id) && (submittedAfter.get(job.id) ?? 0) > mark);
        const gone = book.activeJobs().filter((job) => !listed.has(job.id) && !newer.includes(job));
        book.seed([...active, ...newer]);
        if (gone.length) vanished?.(gone);
        if (book.activeCount() !== before) hub.broadcastStatus(book.activeCount());
      });
    },
    /**
     * Jobs the relay no longer has because its Redis lost its data: each still-active one ends in
     * its tab as ComfyUI ends a failed job (the sequence's own `execution_error` and end marker),
     * with `message` as the exception, so the tab does not wait forever for a job nobody runs.
     */
    lost(jobs: readonly JobRecord[], message: string, at = Date.now()) {
      return enqueue(async () => {
        for (const known of jobs) {
          const job = book.job(known.id) ?? known;
          if (isTerminal(job.state)) continue;
          const failed: JobRecord = {
            ...job,
            state: 'failed',
            finishedAt: at,
            error: jobLevelError('RuntimeError', message),
          };
          hub.broadcastExtension(jobMessageText(failed));
          await perform(book.apply({ kind: 'record', job: failed }));
        }
      });
    },
    /** Waits until everything queued so far has been handled. */
    idle: () => chain,
    close: () => chain,
  };
}

export type EventPipeline = ReturnType<typeof createEventPipeline>;
