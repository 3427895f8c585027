import { Store, useStore } from '../../shared/store';
import type { SandboxView } from '../../shared/api/types';

export interface SandboxesState {
  /** null until the first list arrived. */
  list: SandboxView[] | null;
  /** The server's sandbox driver (`docker` or `local`), from the events `hello`. */
  driver: string | null;
  /** The events socket is open (live updates flowing). */
  live: boolean;
}

export const sandboxStore = new Store<SandboxesState>({ list: null, driver: null, live: false });

export function useSandboxes(): SandboxesState {
  return useStore(sandboxStore);
}

/** A whole list from `GET /api/sandboxes`. */
export function setSandboxes(list: SandboxView[]): void {
  sandboxStore.update((s) => ({ ...s, list }));
}

/** A newer view of one sandbox (event or REST answer): replaces it in place or appends it. */
export function upsertSandbox(view: SandboxView): void {
  sandboxStore.update((s) => {
    if (view.status === 'destroyed') return { ...s, list: (s.list ?? []).filter((x) => x.id !== view.id) };
    const list = s.list ?? [];
    const index = list.findIndex((x) => x.id === view.id);
    const next = index < 0 ? [...list, view] : list.map((x, i) => (i === index ? view : x));
    return { ...s, list: next };
  });
}

export function removeSandbox(id: string): void {
  sandboxStore.update((s) => (s.list?.some((x) => x.id === id) ? { ...s, list: s.list.filter((x) => x.id !== id) } : s));
}

export function setEventsInfo(patch: Partial<Pick<SandboxesState, 'driver' | 'live'>>): void {
  sandboxStore.update((s) => ({ ...s, ...patch }));
}

/** Name of a sandbox by id (for tab badges), or null when unknown. */
export function sandboxName(list: SandboxView[] | null, id: string | null | undefined): string | null {
  if (!id) return null;
  return list?.find((s) => s.id === id)?.name ?? null;
}
