/**
 * @fileoverview Which attempt of a job a `backendRef` names. A job resubmitted because its GPU died
 * runs again under the same job id (its files under `@<n>/`, tagging.ts); the record's
 * `backendRef` carries the attempt as `<ref>#<n>` so a relay that takes the job over resumes the
 * right one. Shared by the serverless agent path and the direct backends.
 */

/** `<base>` for attempt 1, `<base>#<n>` after a resubmit. */
export const backendRefOf = (base: string, attempt: number) =>
  attempt > 1 ? `${base}#${attempt}` : base;

/** The attempt a backendRef names (1 without `#<n>`, or when it is not 1…99). */
export function attemptOf(backendRef: string | undefined): number {
  const n = Number(/#(\d+)/.exec(backendRef ?? '')?.[1] ?? 1);
  return Number.isInteger(n) && n >= 1 && n <= 99 ? n : 1;
}
