/** @fileoverview Types of bin/sidecar-bundle.js, for `comfyume up`, the memory bench and tests. */

/** `root`: the checkout (a test gives another). */
export function freshSidecarBundle(
  root?: string,
): { file: string } | { file?: undefined; why: string };

/** Builds the sidecar unless a fresh build is there; says what happened, in a few words. */
export function ensureSidecarBundle(log: (line: string) => void): Promise<string>;
