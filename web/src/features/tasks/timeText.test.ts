import { describe, expect, it } from 'vitest';
import { formatDuration, formatElapsed, formatIn, formatTimes, formatUntil, formatWaitReason } from './timeText';

const NOW = Date.parse('2026-11-28T14:00:00Z');
/** A fixed clock (UTC HH:MM:SS) so the tests do not depend on the machine's time zone. */
const clock = (t: number) => new Date(t).toISOString().slice(11, 19);

describe('durations', () => {
  it('formats seconds, minutes, hours and days', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(42_400)).toBe('42 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(200_000)).toBe('3 min 20 s');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12 min');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(65 * 60_000)).toBe('1 h 5 min');
    expect(formatDuration(51 * 3_600_000)).toBe('2 d 3 h');
    expect(formatDuration(-5_000)).toBe('0 s');
    expect(formatDuration(Number.NaN)).toBe('0 s');
  });

  it('says how far a future instant is', () => {
    expect(formatIn('2026-11-28T14:00:42Z', NOW)).toBe('in 42 s');
    expect(formatIn('2026-11-28T13:59:00Z', NOW)).toBe('now');
    expect(formatIn('garbage', NOW)).toBe('');
    expect(formatUntil('2026-11-28T14:05:00Z', NOW, clock)).toBe('14:05:00 (in 5 min)');
    expect(formatUntil('not a time', NOW, clock)).toBe('not a time');
  });

  it('measures a task from its start to its end or now', () => {
    expect(formatElapsed('2026-11-28T13:58:30Z', null, NOW)).toBe('1 min 30 s');
    expect(formatElapsed('2026-11-28T13:00:00Z', '2026-11-28T13:00:09Z', NOW)).toBe('9 s');
    expect(formatElapsed(null, null, NOW)).toBeNull();
  });
});

describe('wait reasons', () => {
  it('turns the rate-limit hold into a local time and a countdown', () => {
    const reason = 'the model API rate-limited AnyCode (429); new tasks wait until 2026-11-28T14:00:25.123Z';
    expect(formatWaitReason(reason, NOW, clock)).toBe('waiting: the model API rate-limited AnyCode (429); new tasks wait until 14:00:25 (in 25 s)');
  });

  it('rewrites a retry backoff with an offset timestamp', () => {
    const reason = 'retrying after 2026-11-28T15:00:10+01:00 (the model answered 529)';
    expect(formatWaitReason(reason, NOW, clock)).toBe('waiting: retrying after 14:00:10 (in 10 s) (the model answered 529)');
  });

  it('keeps reasons that already say they wait, and never prints an empty reason', () => {
    expect(formatWaitReason('waiting for a free slot (5/5 tasks running)', NOW, clock)).toBe('waiting for a free slot (5/5 tasks running)');
    expect(formatWaitReason('waiting: this project already runs 3 tasks (the per-project limit)', NOW, clock)).toBe(
      'waiting: this project already runs 3 tasks (the per-project limit)',
    );
    expect(formatWaitReason('  ', NOW, clock)).toBe('waiting');
  });

  it('rewrites every instant in a text, and a past one as now', () => {
    expect(formatTimes('from 2026-11-28T13:00:00Z to 2026-11-28T14:01:00Z', NOW, clock)).toBe('from 13:00:00 (now) to 14:01:00 (in 1 min)');
  });
});
