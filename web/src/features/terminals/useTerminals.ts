import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../shared/api/errors';
import type { TerminalView } from '../../shared/api/types';
import { onTerminalEvent } from '../sandboxes/sandboxEvents';
import type { GridSize } from './XtermView';
import { tabMemory } from './tabMemory';
import { terminalsApi } from './terminalsApi';

const POLL_MS = 15_000;

export interface TerminalsModel {
  /** null while the first list is loading. */
  terminals: TerminalView[] | null;
  activeId: string | null;
  setActive: (id: string) => void;
  /** Opens a terminal (inside `sandboxId` when given) and makes it active; resolves to it (null on failure). */
  create: (size: GridSize | null, options?: { sandboxId?: string | null }) => Promise<TerminalView | null>;
  close: (id: string) => Promise<void>;
  rename: (id: string, name: string) => Promise<void>;
  /** The server does not know this terminal any more. */
  forget: (id: string) => void;
  creating: boolean;
}

/**
 * The tab list: loaded from `GET /api/terminals` (so a reload brings the same tabs back), polled
 * while the page is visible, with the active tab remembered in localStorage.
 */
export function useTerminals(): TerminalsModel {
  const [terminals, setTerminals] = useState<TerminalView[] | null>(null);
  const [chosenId, setChosenId] = useState<string | null>(() => tabMemory.activeTab());
  const [creating, setCreating] = useState(false);
  // Tabs closed in this page: hidden even if a list fetched meanwhile still has them.
  const closed = useRef(new Set<string>());

  const refresh = useCallback(async (signal?: AbortSignal) => {
    try {
      const list = await terminalsApi.list(signal);
      const visible = list.filter((t) => !closed.current.has(t.id));
      setTerminals(visible);
      tabMemory.retain(visible.map((t) => t.id));
    } catch {
      // shown as a toast (or the token page) by the API client
      setTerminals((current) => current ?? []);
    }
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    void refresh(abort.signal);
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, POLL_MS);
    const onFocus = () => void refresh();
    window.addEventListener('focus', onFocus);
    return () => {
      abort.abort();
      clearInterval(timer);
      window.removeEventListener('focus', onFocus);
    };
  }, [refresh]);

  const activeId =
    terminals === null
      ? null
      : terminals.some((t) => t.id === chosenId)
        ? chosenId
        : (terminals[terminals.length - 1]?.id ?? null);

  useEffect(() => {
    if (terminals !== null) tabMemory.setActiveTab(activeId);
  }, [activeId, terminals]);

  const create = useCallback(async (size: GridSize | null, options: { sandboxId?: string | null } = {}) => {
    setCreating(true);
    try {
      const view = await terminalsApi.create({
        ...(size ? { cols: size.cols, rows: size.rows } : {}),
        ...(options.sandboxId ? { sandboxId: options.sandboxId } : {}),
      });
      setTerminals((current) => {
        const list = current ?? [];
        // A `terminal` event may have brought it first: keep its place.
        return list.some((t) => t.id === view.id) ? list.map((t) => (t.id === view.id ? view : t)) : [...list, view];
      });
      setChosenId(view.id);
      return view;
    } catch {
      // toast already shown
      return null;
    } finally {
      setCreating(false);
    }
  }, []);

  const listRef = useRef<TerminalView[] | null>(null);
  useEffect(() => {
    listRef.current = terminals;
  }, [terminals]);

  const forget = useCallback((id: string) => {
    closed.current.add(id);
    const list = listRef.current ?? [];
    const index = list.findIndex((t) => t.id === id);
    const rest = list.filter((t) => t.id !== id);
    // The neighbour of a closed active tab becomes active.
    const neighbour = rest[Math.min(Math.max(index, 0), rest.length - 1)]?.id ?? null;
    setTerminals((current) => current?.filter((t) => t.id !== id) ?? current);
    setChosenId((chosen) => (chosen === id ? neighbour : chosen));
  }, []);

  // Live changes from /ws/events: terminals opened elsewhere appear, removed ones go.
  useEffect(
    () =>
      onTerminalEvent((event) => {
        if (event.type === 'terminal_removed') {
          forget(event.id);
          return;
        }
        const { view } = event;
        if (closed.current.has(view.id)) return;
        setTerminals((current) => {
          if (current === null) return current;
          return current.some((t) => t.id === view.id) ? current.map((t) => (t.id === view.id ? view : t)) : [...current, view];
        });
      }),
    [forget],
  );

  const close = useCallback(
    async (id: string) => {
      try {
        await terminalsApi.remove(id);
        forget(id);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'not_found') forget(id);
      }
    },
    [forget],
  );

  const rename = useCallback(async (id: string, name: string) => {
    try {
      const view = await terminalsApi.rename(id, name);
      setTerminals((current) => current?.map((t) => (t.id === id ? view : t)) ?? current);
    } catch {
      // toast already shown
    }
  }, []);

  return { terminals, activeId, setActive: setChosenId, create, close, rename, forget, creating };
}
