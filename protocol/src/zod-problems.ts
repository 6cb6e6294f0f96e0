/**
 * @fileoverview The one formatter of zod errors: each issue as a `name: message` line a person can
 * act on (config loaders, request validation, files from the GPU agent). Written by hand rather
 * than with zod-validation-error, whose `Validation error: … at "path"` wording would change the
 * messages operators (and tests) read, e.g. `COMFYUI_GPU_URLS: required`.
 */
import type { z } from 'zod';

export type ProblemOptions = {
  /** The name shown for an issue's path (dotted); the path itself by default. */
  name?: (path: string, issue: z.ZodIssue) => string;
  /** The name of an issue about the whole value (an empty path). */
  whole?: string;
  /** The text after `name: `; zod's message by default. */
  message?: (issue: z.ZodIssue) => string;
  /** Appended to the message, e.g. the value that was given. */
  suffix?: (name: string, issue: z.ZodIssue) => string;
  /** Only the first issue of each top-level key (one line per setting). */
  firstPerKey?: boolean;
};

/** Each issue of `error` as `name: message`, in zod's order. */
export function zodProblems(error: z.ZodError, options: ProblemOptions = {}): string[] {
  const issues = options.firstPerKey
    ? error.issues.filter(
        (issue, i, all) => all.findIndex((other) => other.path[0] === issue.path[0]) === i,
      )
    : error.issues;
  return issues.map((issue) => {
    const path = issue.path.join('.');
    const name = path ? (options.name?.(path, issue) ?? path) : (options.whole ?? '(root)');
    return `${name}: ${options.message?.(issue) ?? issue.message}${options.suffix?.(name, issue) ?? ''}`;
  });
}

/** The first issue of `error` as `name: message` (a one-line reason for a refused file or frame). */
export const firstZodProblem = (error: z.ZodError): string => zodProblems(error)[0] ?? 'invalid';

/** A camelCase option key as its command-line flag: `replicaCount` → `--replica-count`. */
export const asFlag = (key: string): string =>
  `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
