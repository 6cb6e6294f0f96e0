/**
 * @fileoverview The attendee's ComfyUI version and what it changes in the message sequence. The
 * recordings of 0.8.0 and 0.27.0 send the same sequence (types, order, payload keys); older
 * servers lack `progress_state` (added in 0.3.45 with type-4 previews).
 */
export type ComfyVersion = { major: number; minor: number; patch: number; text: string };

/** What a sidecar assumes until it has read the attendee's `/system_stats`. */
export const DEFAULT_COMFY_VERSION = '0.27.0';

/** `"0.8.0"`, `"v0.3.45"`, `"0.27.0-rc1"` → its numbers; unreadable text → the default. */
export function parseComfyVersion(text: string | undefined): ComfyVersion {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec((text ?? '').trim());
  if (!match) return parseComfyVersion(DEFAULT_COMFY_VERSION);
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? 0),
    text: (text ?? '').trim(),
  };
}

const atLeast = (v: ComfyVersion, major: number, minor: number, patch: number) =>
  v.major !== major ? v.major > major : v.minor !== minor ? v.minor > minor : v.patch >= patch;

/** The parts of the sequence that depend on the version. */
export type SequenceTraits = {
  /** `progress_state` frames (node highlighting in frontends after 1.24.1). */
  progressState: boolean;
};

export function sequenceTraits(version: ComfyVersion): SequenceTraits {
  return { progressState: atLeast(version, 0, 3, 45) };
}
