import { describe, expect, it } from 'vitest';
import type { GalleryItem } from '../../../protocol/src/relay/gallery';
import type { PrewarmStatus } from '../../../protocol/src/relay/prewarm';
import { galleryTiles, warmthView } from './gallery-model';

const NOW = new Date(2026, 11, 5, 14, 10, 0).getTime();
const item = (over: Partial<GalleryItem>): GalleryItem => ({
  id: 'a',
  jobId: 'j',
  userId: 'user001',
  finishedAt: NOW - 3 * 60_000,
  filename: 'cat_00001_.png',
  subfolder: '',
  type: 'output',
  hidden: false,
  ...over,
});
const status = (over: Partial<PrewarmStatus>): PrewarmStatus => ({
  enabled: true,
  schedule: ['09:50-12:00', '13:20-16:30'],
  intervalS: 240,
  inSchedule: true,
  gpu: 'warm',
  prompts: 3,
  ...over,
});

describe('galleryTiles', () => {
  it('says who and when, newest first as listed, and leaves hidden items out unless asked', () => {
    const items = [
      item({ id: 'n', userId: 'user002', subfolder: 'wall', filename: 'x_00001_.png' }),
      item({ id: 'h', hidden: true, finishedAt: NOW - 2 * 3_600_000 }),
    ];
    expect(galleryTiles(items, NOW)).toEqual([
      {
        id: 'n',
        user: 'user002',
        when: '14:07 · 3m ago',
        hidden: false,
        title: 'wall/x_00001_.png',
      },
    ]);
    expect(galleryTiles(items, NOW, true).map((t) => [t.id, t.hidden, t.when])).toEqual([
      ['n', false, '14:07 · 3m ago'],
      ['h', true, '12:10 · 2h ago'],
    ]);
  });
});

describe('warmthView', () => {
  it('warm inside the schedule, with the last cold start measured', () => {
    const v = warmthView(
      status({ lastColdStart: { at: NOW - 120_000, ms: 41_500 }, lastWarmAt: NOW - 20_000 }),
      NOW,
    );
    expect(v).toEqual({
      tone: 'ok',
      word: 'Warm',
      plan: 'in the schedule (09:50-12:00, 13:20-16:30): a warm-up every 240s',
      lastColdStart: '42 s · 2m ago',
      lastWarm: '20s ago',
    });
  });

  it('cold outside the schedule; Warm now names its end; a failure is said', () => {
    expect(warmthView(status({ gpu: 'cold', inSchedule: false }), NOW)).toMatchObject({
      tone: 'bad',
      word: 'Cold',
      plan: 'outside the schedule (09:50-12:00, 13:20-16:30)',
      lastColdStart: 'none measured',
    });
    const pressed = warmthView(
      status({ gpu: 'warming', warmNowUntil: NOW + 30 * 60_000, lastError: 'HTTP 401' }),
      NOW,
    );
    expect(pressed.word).toBe('Warming up');
    expect(pressed.plan).toBe(
      'kept warm until 14:40 (Warm now) · 09:50-12:00, 13:20-16:30 · last warm-up failed: HTTP 401',
    );
  });

  it('direct GPUs: nothing to warm, said so', () => {
    const v = warmthView(
      status({ enabled: false, reason: 'direct GPUs stay up', schedule: [], gpu: 'unknown' }),
      NOW,
    );
    expect([v.tone, v.word, v.plan]).toEqual(['muted', 'Always on', 'direct GPUs stay up']);
    expect(warmthView(undefined, NOW).word).toBe('…');
  });
});
