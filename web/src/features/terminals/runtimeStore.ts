import { Store, useStore } from '../../shared/store';
import type { TerminalConnectionState } from './TerminalConnection';

/**
 * Connection state of every open terminal, for the status line, tab badges and the top bar.
 * Notifications are throttled: output floods update offsets thousands of times a second.
 */
export const runtimeStore = new Store<ReadonlyMap<string, TerminalConnectionState>>(new Map(), 100);

export function publishRuntime(id: string, state: TerminalConnectionState | null): void {
  runtimeStore.update((current) => {
    const next = new Map(current);
    if (state) next.set(id, state);
    else next.delete(id);
    return next;
  });
}

export function useRuntimes(): ReadonlyMap<string, TerminalConnectionState> {
  return useStore(runtimeStore);
}

export function useRuntime(id: string | null): TerminalConnectionState | null {
  const all = useStore(runtimeStore);
  return id === null ? null : (all.get(id) ?? null);
}
