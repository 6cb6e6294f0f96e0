/** @fileoverview Types of bin/sidecar-start.js, for `comfyume up`, the bench and tests. */

/** Node flags a sidecar process is started with. */
export const sidecarNodeFlags: readonly string[];

/** Environment a sidecar process is started with (the C allocator reads it at start). */
export const sidecarNodeEnv: Readonly<Record<string, string>>;

/** `root`: the checkout (a test gives another). */
export function freshSidecarBundle(
  root?: string,
): { file: string } | { file?: undefined; why: string };

/** Builds the sidecar unless a fresh build is there; says what happened, in a few words. */
export function ensureSidecarBundle(log: (line: string) => void): Promise<string>;
