import type { UsageRow } from '../../shared/api/types';

/** Newest day first, then by sandbox and model. */
export function sortUsage(rows: readonly UsageRow[]): UsageRow[] {
  return [...rows].sort((a, b) => b.day.localeCompare(a.day) || a.sandboxId.localeCompare(b.sandboxId) || a.model.localeCompare(b.model));
}

export type UsageTotals = Pick<UsageRow, 'requests' | 'inputTokens' | 'outputTokens' | 'cacheCreationTokens' | 'cacheReadTokens'>;

export function usageTotals(rows: readonly UsageRow[]): UsageTotals {
  const zero: UsageTotals = { requests: 0, inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 };
  return rows.reduce(
    (t, r) => ({
      requests: t.requests + r.requests,
      inputTokens: t.inputTokens + r.inputTokens,
      outputTokens: t.outputTokens + r.outputTokens,
      cacheCreationTokens: t.cacheCreationTokens + r.cacheCreationTokens,
      cacheReadTokens: t.cacheReadTokens + r.cacheReadTokens,
    }),
    zero,
  );
}

/** 1234567 → "1,234,567" (stable, locale-independent). */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
