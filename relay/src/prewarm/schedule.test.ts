/** PREWARM_SCHEDULE: clear config errors for bad ranges; which moments are inside. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { inSchedule } from './schedule';

const at = (hhmm: string) => new Date(`2026-12-05T${hhmm}:00`); // local time, as the schedule

describe('PREWARM_SCHEDULE values', () => {
  const base = { RELAY_SECRET: 'x'.repeat(16), ADMIN_TOKEN: 'y'.repeat(16) };
  it.each([
    ['9:50-12:00', /"9:50" is not a time as HH:MM/],
    ['09:50-25:00', /"25:00" is not a time of day/],
    ['09:50', /"09:50" is not a range HH:MM-HH:MM/],
    ['10:00-10:00', /starts and ends at the same time/],
    ['09:50-12:00,soon', /"soon" is not a range/],
  ])('%s is refused with a clear config error', (value, message) => {
    expect(() => loadConfig({ ...base, PREWARM_SCHEDULE: value })).toThrow(/PREWARM_SCHEDULE/);
    expect(() => loadConfig({ ...base, PREWARM_SCHEDULE: value })).toThrow(message);
  });
  it('parses ranges, across midnight too', () => {
    const c = loadConfig({ ...base, PREWARM_SCHEDULE: '09:50-12:00, 22:00-02:00,13:20-24:00' });
    expect(c.prewarm.schedule.map((r) => r.text)).toEqual([
      '09:50-12:00',
      '22:00-02:00',
      '13:20-24:00',
    ]);
    expect(c.prewarm.intervalMs).toBe(240_000);
  });
});

describe('inSchedule', () => {
  const { schedule } = loadConfig({
    RELAY_SECRET: 'x'.repeat(16),
    ADMIN_TOKEN: 'y'.repeat(16),
    PREWARM_SCHEDULE: '09:50-12:00,22:00-02:00',
  }).prewarm;
  it.each([
    ['09:49', false],
    ['09:50', true],
    ['11:59', true],
    ['12:00', false],
    ['23:30', true],
    ['01:59', true],
    ['02:00', false],
  ])('%s → %s', (hhmm, inside) => expect(inSchedule(schedule, at(hhmm))).toBe(inside));
  it('no schedule: never', () => expect(inSchedule([], at('10:00'))).toBe(false));
});
