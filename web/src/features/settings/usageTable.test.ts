import { describe, expect, it } from 'vitest';
import type { UsageRow } from '../../shared/api/types';
import { formatCount, sortUsage, usageTotals } from './usageTable';

const row = (day: string, sandboxId: string, model: string, n: number): UsageRow => ({
  day,
  sandboxId,
  model,
  requests: n,
  inputTokens: n * 10,
  outputTokens: n * 2,
  cacheCreationTokens: 0,
  cacheReadTokens: n,
});

describe('usage table', () => {
  it('sorts newest day first, then sandbox and model', () => {
    const rows = [row('2026-01-01', 'b', 'm', 1), row('2026-01-02', 'b', 'm', 1), row('2026-01-01', 'a', 'z', 1), row('2026-01-01', 'a', 'y', 1)];
    expect(sortUsage(rows).map((r) => `${r.day}/${r.sandboxId}/${r.model}`)).toEqual([
      '2026-01-02/b/m',
      '2026-01-01/a/y',
      '2026-01-01/a/z',
      '2026-01-01/b/m',
    ]);
  });
  it('sums and formats', () => {
    expect(usageTotals([row('d', 's', 'm', 2), row('d', 's', 'n', 3)])).toEqual({
      requests: 5,
      inputTokens: 50,
      outputTokens: 10,
      cacheCreationTokens: 0,
      cacheReadTokens: 5,
    });
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12)).toBe('12');
  });
});
