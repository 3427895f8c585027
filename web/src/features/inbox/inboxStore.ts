import type { InboxItem } from '../../shared/api/types';
import { Store, useStore } from '../../shared/store';
import { inboxApi } from './inboxApi';
import { itemKey, newAlerts } from './inboxLogic';

export interface RateLimit {
  sandboxId: string;
  status: number;
  retryAfterSecs: number | null;
  /** Epoch ms when the event arrived. */
  at: number;
}

export interface InboxState {
  /** null until the first list arrived. */
  items: InboxItem[] | null;
  /** The latest rate-limit event per sandbox, until dismissed. */
  rateLimits: RateLimit[];
}

export const inboxStore = new Store<InboxState>({ items: null, rateLimits: [] });

export function useInbox(): InboxState {
  return useStore(inboxStore);
}

const alertListeners = new Set<(items: InboxItem[]) => void>();

/** New waiting_for_input / error items (for browser notifications). */
export function onInboxAlerts(listener: (items: InboxItem[]) => void): () => void {
  alertListeners.add(listener);
  return () => {
    alertListeners.delete(listener);
  };
}

let known: Set<string> | null = null;
let generation = 0;

export async function refreshInbox(): Promise<void> {
  const mine = ++generation;
  try {
    const items = await inboxApi.list();
    if (mine !== generation) return;
    const alerts = newAlerts(known, items);
    known = new Set(items.map(itemKey));
    inboxStore.update((s) => ({ ...s, items }));
    if (alerts.length > 0) alertListeners.forEach((l) => l(alerts));
  } catch {
    // shown as a toast (or the token page) by the API client
  }
}

const DEBOUNCE_MS = 250;
let timer: ReturnType<typeof setTimeout> | null = null;

/** Re-list soon; bursts of `agent_state` events cause one request. */
export function scheduleInboxRefresh(): void {
  if (timer !== null) return;
  timer = setTimeout(() => {
    timer = null;
    void refreshInbox();
  }, DEBOUNCE_MS);
}

export function recordRateLimit(limit: RateLimit): void {
  inboxStore.update((s) => ({ ...s, rateLimits: [...s.rateLimits.filter((r) => r.sandboxId !== limit.sandboxId), limit] }));
}

export function dismissRateLimit(sandboxId: string): void {
  inboxStore.update((s) => ({ ...s, rateLimits: s.rateLimits.filter((r) => r.sandboxId !== sandboxId) }));
}
