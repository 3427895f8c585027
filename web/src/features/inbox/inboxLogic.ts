import type { InboxItem, InboxKind } from '../../shared/api/types';

/** One item's identity: the same terminal can wait again later (a new `since`). */
export function itemKey(item: Pick<InboxItem, 'terminalId' | 'kind' | 'since'>): string {
  return `${item.terminalId}|${item.kind}|${item.since}`;
}

/** What the top-bar badge counts: one per terminal and kind (duplicates from races collapse). */
export function inboxCount(items: readonly InboxItem[] | null): number {
  if (!items) return 0;
  return new Set(items.map((i) => `${i.terminalId}|${i.kind}`)).size;
}

/** Kinds that deserve a browser notification. */
export const ALERT_KINDS: ReadonlySet<InboxKind> = new Set(['waiting_for_input', 'error']);

/**
 * Items of `next` worth a notification that were not in the previous list (`known` keys).
 * The first list of a page (`known === null`) never alerts: those items are not news.
 */
export function newAlerts(known: ReadonlySet<string> | null, next: readonly InboxItem[]): InboxItem[] {
  if (known === null) return [];
  return next.filter((i) => ALERT_KINDS.has(i.kind) && !known.has(itemKey(i)));
}

/** Most urgent first (waiting, error, finished), then newest first. */
export function sortInbox(items: readonly InboxItem[]): InboxItem[] {
  const rank: Record<InboxKind, number> = { waiting_for_input: 0, error: 1, finished: 2 };
  return [...items].sort((a, b) => rank[a.kind] - rank[b.kind] || Date.parse(b.since) - Date.parse(a.since));
}
