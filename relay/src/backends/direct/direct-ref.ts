/**
 * @fileoverview The backendRef a direct job records: the sid of the socket it was submitted with
 * (attempt 1), or `<sid>#<n>@<gpu name>` after a resubmit to another GPU, so a relay that takes the
 * job over follows the right attempt on the right GPU. The attempt part is attempt-ref.ts's, shared
 * with the serverless agent path.
 */
import { attemptOf, backendRefOf } from '../attempt-ref';

export function refOf(sid: string, attempt: number, gpu: string): string {
  return attempt > 1 ? `${backendRefOf(sid, attempt)}@${gpu}` : sid;
}

export function parseRef(ref: string | undefined): { sid?: string; attempt: number; gpu?: string } {
  if (!ref) return { attempt: 1 };
  const hash = ref.indexOf('#');
  if (hash < 0) return { sid: ref, attempt: 1 };
  const at = ref.indexOf('@', hash);
  return {
    sid: ref.slice(0, hash),
    attempt: attemptOf(ref),
    gpu: at > 0 ? ref.slice(at + 1) : undefined,
  };
}
