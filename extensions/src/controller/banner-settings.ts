/**
 * @fileoverview The banner's settings, in ComfyUI's settings dialog under a "ComfyuME" category,
 * and what the host frontend already shows (so the banner does not say it twice).
 */

export const BANNER_SETTING = 'Comfyume.Banner.Enabled';
export const SETTLE_SETTING = 'Comfyume.Banner.SettleSeconds';
export const PROGRESS_SETTING = 'Comfyume.Banner.Progress';

export type ProgressMode = 'auto' | 'always' | 'never';

export type BannerPrefs = {
  enabled: boolean;
  /** How long "Done" stays full size; `Infinity` when it never settles. */
  settleMs: number;
  progress: ProgressMode;
};

/** The part of ComfyUI's setting definition (`SettingParams`) we use. */
export type SettingDef = {
  id: string;
  name: string;
  type: 'boolean' | 'number' | 'combo';
  defaultValue: unknown;
  category: string[];
  tooltip?: string;
  attrs?: Record<string, unknown>;
  options?: { text: string; value: string }[];
  onChange?: (value: unknown) => void;
};

const CATEGORY = 'ComfyuME';
const MAX_SETTLE_SECONDS = 600;

/** Reads a setting: the value its onChange last reported, else the frontend's stored one. */
export function settingReader(stored: (id: string) => unknown): {
  read: (id: string) => unknown;
  changed: (id: string, value: unknown) => void;
} {
  const reported = new Map<string, unknown>();
  return {
    read: (id) => (reported.has(id) ? reported.get(id) : stored(id)),
    changed: (id, value) => void reported.set(id, value),
  };
}

export function readBannerPrefs(get: (id: string) => unknown): BannerPrefs {
  const seconds = Number(get(SETTLE_SETTING) ?? 5);
  const progress = get(PROGRESS_SETTING);
  return {
    enabled: get(BANNER_SETTING) !== false,
    settleMs:
      !Number.isFinite(seconds) || seconds <= 0
        ? Infinity
        : Math.min(seconds, MAX_SETTLE_SECONDS) * 1000,
    progress: progress === 'always' || progress === 'never' ? progress : 'auto',
  };
}

/**
 * The setting definitions to register. `changed(id, value)` runs when one changes, with the new
 * value: the frontend calls `onChange` before it stores the value (settingStore.ts `set`, 1.35.9
 * :74-75, 1.45.0 :111-112), so `setting.get(id)` still answers the old one at that moment.
 */
export function bannerSettings(changed: (id: string, value: unknown) => void): SettingDef[] {
  return [
    {
      id: BANNER_SETTING,
      name: 'Show the GPU job status banner',
      type: 'boolean',
      defaultValue: true,
      category: [CATEGORY, 'Status banner', 'Show'],
      tooltip: 'Queue position, GPU warm-up and the outcome of your jobs on the remote GPU.',
      onChange: (value) => changed(BANNER_SETTING, value),
    },
    {
      id: SETTLE_SETTING,
      name: 'Shrink "Done" after (seconds, 0 = never)',
      type: 'number',
      defaultValue: 5,
      attrs: { min: 0, max: MAX_SETTLE_SECONDS, step: 1 },
      category: [CATEGORY, 'Status banner', 'Shrink'],
      tooltip:
        'A finished job shows in full this long, then as a small chip. Failures stay until you close them.',
      onChange: (value) => changed(SETTLE_SETTING, value),
    },
    {
      id: PROGRESS_SETTING,
      name: 'Step progress in the banner',
      type: 'combo',
      defaultValue: 'auto',
      options: [
        { text: 'Auto', value: 'auto' },
        { text: 'Always', value: 'always' },
        { text: 'Never', value: 'never' },
      ],
      category: [CATEGORY, 'Status banner', 'Progress'],
      tooltip:
        'ComfyUI frontends from 1.32.7 on show run progress under the Run button. Auto: the banner then adds only what ComfyUI cannot know.',
      onChange: (value) => changed(PROGRESS_SETTING, value),
    },
  ];
}

/** The first frontend release with its own run progress panel (QueueProgressOverlay) under Run. */
const PROGRESS_PANEL_SINCE = [1, 32, 7];

/** Does the host frontend (its `window.__COMFYUI_FRONTEND_VERSION__`) draw run progress itself? */
export function hostShowsProgress(version: unknown): boolean {
  if (typeof version !== 'string') return false; // the legacy frontend sets no version and shows none
  const parts = version.split(/[.-]/).slice(0, 3).map(Number);
  if (parts.length < 2 || parts.some((n) => !Number.isFinite(n))) return false;
  for (let i = 0; i < 3; i++) {
    const diff = (parts[i] ?? 0) - PROGRESS_PANEL_SINCE[i]!;
    if (diff !== 0) return diff > 0;
  }
  return true;
}

/** Whether the banner should leave step progress to the host, given the attendee's choice. */
export function leaveProgressToHost(mode: ProgressMode, version: unknown): boolean {
  if (mode === 'always') return false;
  if (mode === 'never') return true;
  return hostShowsProgress(version);
}
