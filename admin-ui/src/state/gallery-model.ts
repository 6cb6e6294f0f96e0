/**
 * @fileoverview The gallery wall's and the warm-up panel's view models (pure, tested): tiles with
 * who and when in words a room reads from a projector, and the GPU's warmth as a tone, a word and
 * the facts behind it (schedule, last warm-up, last cold start measured).
 */
import type { GalleryItem } from '../../../protocol/src/relay/gallery';
import type { PrewarmStatus } from '../../../protocol/src/relay/prewarm';
import { formatTook } from '../../../ui-kit/format';
import { formatAgo } from './format';

export type GalleryTile = {
  id: string;
  user: string;
  /** "14:05 · 3m ago" */
  when: string;
  hidden: boolean;
  title: string;
};

const clock = (at: number) => {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

/** Newest first, as the relay lists them; hidden ones only when the operator asked to see them. */
export function galleryTiles(
  items: readonly GalleryItem[],
  now: number,
  showHidden = false,
): GalleryTile[] {
  return items
    .filter((item) => showHidden || !item.hidden)
    .map((item) => ({
      id: item.id,
      user: item.userId,
      when: `${clock(item.finishedAt)} · ${formatAgo(item.finishedAt, now)}`,
      hidden: item.hidden,
      title: `${item.subfolder ? `${item.subfolder}/` : ''}${item.filename}`,
    }));
}

export type WarmthView = {
  tone: 'ok' | 'warn' | 'bad' | 'muted';
  word: string;
  /** One line under the word: what keeps it warm, or why nothing does. */
  plan: string;
  lastColdStart: string;
  lastWarm: string;
};

const warmthWords: Record<PrewarmStatus['gpu'], [WarmthView['tone'], string]> = {
  warm: ['ok', 'Warm'],
  warming: ['warn', 'Warming up'],
  cold: ['bad', 'Cold'],
  unknown: ['muted', 'Unknown'],
};

export function warmthView(status: PrewarmStatus | undefined, now: number): WarmthView {
  if (!status)
    return {
      tone: 'muted',
      word: '…',
      plan: 'Reading the warm-up schedule…',
      lastColdStart: '—',
      lastWarm: '—',
    };
  const [tone, word] = status.enabled ? warmthWords[status.gpu] : (['muted', 'Always on'] as const);
  const schedule = status.schedule.length ? status.schedule.join(', ') : 'no schedule';
  const plan = !status.enabled
    ? (status.reason ?? 'nothing to warm')
    : status.warmNowUntil
      ? `kept warm until ${clock(status.warmNowUntil)} (Warm now) · ${schedule}`
      : status.inSchedule
        ? `in the schedule (${schedule}): a warm-up every ${status.intervalS}s`
        : `outside the schedule (${schedule})`;
  return {
    tone,
    word,
    plan: status.lastError ? `${plan} · last warm-up failed: ${status.lastError}` : plan,
    lastColdStart: status.lastColdStart
      ? `${formatTook(status.lastColdStart.ms)} · ${formatAgo(status.lastColdStart.at, now)}`
      : 'none measured',
    lastWarm: formatAgo(status.lastWarmAt, now),
  };
}
