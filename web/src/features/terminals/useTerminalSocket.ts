import { type RefObject, useEffect, useRef } from 'react';
import { ApiError } from '../../shared/api/errors';
import { showToast } from '../../shared/ui/toasts';
import { wsUrl } from '../../shared/ws/url';
import { type ExitInfo, TerminalConnection, type TerminalConnectionState } from './TerminalConnection';
import type { XtermView } from './XtermView';
import { publishRuntime } from './runtimeStore';
import { tabMemory } from './tabMemory';
import { terminalsApi } from './terminalsApi';

interface Options {
  id: string;
  /** Must be filled by an effect declared before this hook. */
  viewRef: RefObject<XtermView | null>;
  rootRef: RefObject<HTMLElement | null>;
  visibleRef: RefObject<boolean>;
  /** Filled with the live connection while mounted. */
  connRef: RefObject<TerminalConnection | null>;
  initialExit: ExitInfo | null;
  /** The server no longer knows this terminal. */
  onGone: (id: string) => void;
}

/** What `data-status` shows: the server's live status, or where the socket is. */
export function displayStatus(state: TerminalConnectionState): string {
  if (state.socket === 'open') return state.live ?? 'connecting';
  if (state.socket === 'waiting') return 'reconnecting';
  if (state.socket === 'stopped') return state.notFound ? 'not_found' : 'disconnected';
  return 'connecting';
}

function reflectOnElement(el: HTMLElement | null, state: TerminalConnectionState): void {
  if (!el) return;
  el.dataset.status = displayStatus(state);
  el.dataset.offset = state.next === null ? '' : String(state.next);
  el.dataset.written = state.written === null ? '' : String(state.written);
  el.dataset.connection = state.socket;
  el.dataset.exitCode = state.exit ? String(state.exit.code ?? '') : '';
  el.dataset.queued = String(state.queuedInput);
}

/** Re-fit a visible pane and tell the server if the grid changed. */
export function syncSize(view: XtermView | null, conn: TerminalConnection | null): void {
  if (!view || !conn) return;
  const size = view.fit();
  if (!size) return;
  const { cols, rows } = conn.state;
  if (cols !== size.cols || rows !== size.rows) conn.resize(size.cols, size.rows);
}

/**
 * Attaches the pane's xterm to `/ws/terminals/:id`: output to the screen, keystrokes to the
 * server, state to the runtime store and to `data-*` attributes of the pane (for tests).
 */
export function useTerminalSocket({ id, viewRef, rootRef, visibleRef, connRef, initialExit, onGone }: Options): void {
  const initialExitRef = useRef(initialExit);
  const onGoneRef = useRef(onGone);
  useEffect(() => {
    onGoneRef.current = onGone;
  }, [onGone]);

  useEffect(() => {
    const view = viewRef.current;
    if (!view) return;
    const term = view.term;
    let lastSaved = 0;
    let probing = false;

    const conn = new TerminalConnection({
      terminalId: id,
      url: (path, params) => wsUrl(path, params),
      connectSize: () => (visibleRef.current ? view.fit() : null),
      initialExit: initialExitRef.current,
      sink: {
        reset: () => term.reset(),
        write: (data, done) => term.write(data, done),
        resize: (cols, rows) => view.resizeTo(cols, rows),
      },
      onChange: (state) => {
        publishRuntime(id, state);
        reflectOnElement(rootRef.current, state);
        if (visibleRef.current && state.next !== null && Date.now() - lastSaved > 1000) {
          lastSaved = Date.now();
          tabMemory.setLastOffset(id, state.next);
        }
        if (state.notFound) onGoneRef.current(id);
      },
      onHello: () => {
        if (visibleRef.current) syncSize(view, conn);
      },
      onServerError: ({ code, message }) => showToast({ kind: 'error', code, message }),
      onConnectFailed: () => {
        // The upgrade was refused: 401 flips the app to the token page (client.ts), 404 drops the tab.
        if (probing) return;
        probing = true;
        terminalsApi
          .get(id, true)
          .catch((error: unknown) => {
            if (error instanceof ApiError && error.code === 'not_found') onGoneRef.current(id);
          })
          .finally(() => {
            probing = false;
          });
      },
    });
    connRef.current = conn;

    // While reconnecting, keys are queued by the connection and sent after the next hello.
    const dataSub = term.onData((data) => {
      conn.sendInput(data);
    });
    const binarySub = term.onBinary((data) => {
      const bytes = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 0xff;
      conn.sendBinary(bytes);
    });
    const saveOffset = () => {
      if (visibleRef.current && conn.state.next !== null) tabMemory.setLastOffset(id, conn.state.next);
    };
    window.addEventListener('pagehide', saveOffset);
    const onOnline = () => conn.reconnectNow();
    window.addEventListener('online', onOnline);

    conn.start();
    return () => {
      saveOffset();
      window.removeEventListener('pagehide', saveOffset);
      window.removeEventListener('online', onOnline);
      dataSub.dispose();
      binarySub.dispose();
      conn.dispose();
      connRef.current = null;
      publishRuntime(id, null);
    };
  }, [id, viewRef, rootRef, visibleRef, connRef]);
}
