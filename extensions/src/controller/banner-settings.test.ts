/** The ComfyuME settings as the settings dialog stores them, and the host-progress detection. */
import { describe, expect, it } from 'vitest';
import {
  bannerSettings,
  BANNER_SETTING,
  hostShowsProgress,
  leaveProgressToHost,
  PROGRESS_SETTING,
  readBannerPrefs,
  settingReader,
  SETTLE_SETTING,
} from './banner-settings';

describe('banner settings', () => {
  it('are listed under a ComfyuME category and all report changes', () => {
    let changes = 0;
    const defs = bannerSettings(() => changes++);
    expect(defs.map((d) => d.id)).toEqual([BANNER_SETTING, SETTLE_SETTING, PROGRESS_SETTING]);
    expect(defs.every((d) => d.category[0] === 'ComfyuME')).toBe(true);
    for (const d of defs) d.onChange?.(d.defaultValue);
    expect(changes).toBe(3);
  });

  it('read defaults, stored values and junk', () => {
    const from = (values: Record<string, unknown>) => readBannerPrefs((id) => values[id]);
    expect(from({})).toEqual({ enabled: true, settleMs: 5_000, progress: 'auto' });
    expect(
      from({ [BANNER_SETTING]: false, [SETTLE_SETTING]: 12, [PROGRESS_SETTING]: 'always' }),
    ).toEqual({ enabled: false, settleMs: 12_000, progress: 'always' });
    expect(from({ [SETTLE_SETTING]: 0 }).settleMs).toBe(Infinity);
    expect(from({ [SETTLE_SETTING]: 'lots', [PROGRESS_SETTING]: 'sometimes' })).toMatchObject({
      settleMs: Infinity,
      progress: 'auto',
    });
    expect(from({ [SETTLE_SETTING]: 99_999 }).settleMs).toBe(600_000);
  });
});

describe('settingReader', () => {
  it('answers the value onChange reported, which the frontend stores only after onChange returns', () => {
    const stored: Record<string, unknown> = { [PROGRESS_SETTING]: 'auto' };
    const settings = settingReader((id) => stored[id]);
    const seen: unknown[] = [];
    const [, , progress] = bannerSettings((id, value) => {
      settings.changed(id, value);
      seen.push(settings.read(id)); // what the extension re-reads inside onChange
    });
    progress!.onChange?.('always'); // settingStore.set: onChange(new), then store
    expect(seen).toEqual(['always']);
    expect(settings.read(SETTLE_SETTING)).toBeUndefined(); // never reported: the stored value
    stored[PROGRESS_SETTING] = 'always';
    expect(settings.read(PROGRESS_SETTING)).toBe('always');
  });
});

describe('hostShowsProgress', () => {
  it('is true from frontend 1.32.7 (its progress panel under Run), false before and for the legacy UI', () => {
    expect(hostShowsProgress('1.35.9')).toBe(true);
    expect(hostShowsProgress('1.45.0')).toBe(true);
    expect(hostShowsProgress('1.32.7')).toBe(true);
    expect(hostShowsProgress('1.32.6')).toBe(false);
    expect(hostShowsProgress('1.28.0')).toBe(false);
    expect(hostShowsProgress('2.0.0-beta.1')).toBe(true);
    expect(hostShowsProgress(undefined)).toBe(false);
    expect(hostShowsProgress('dev')).toBe(false);
  });

  it('follows the attendee’s choice over the detection', () => {
    expect(leaveProgressToHost('auto', '1.45.0')).toBe(true);
    expect(leaveProgressToHost('always', '1.45.0')).toBe(false);
    expect(leaveProgressToHost('never', undefined)).toBe(true);
  });
});
