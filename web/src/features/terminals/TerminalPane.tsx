import '@xterm/xterm/css/xterm.css';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { TerminalView } from '../../shared/api/types';
import type { TerminalConnection } from './TerminalConnection';
import { SearchBox } from './SearchBox';
import { type GridSize, XtermView } from './XtermView';
import { tabMemory } from './tabMemory';
import { syncSize, useTerminalSocket } from './useTerminalSocket';

interface TerminalPaneProps {
  terminal: TerminalView;
  visible: boolean;
  onGone: (id: string) => void;
  /** Lets the parent reach this pane's connection (status line buttons). */
  onConnection: (id: string, controls: PaneControls | null) => void;
}

export interface PaneControls {
  restart(): void;
  interrupt(): void;
  reconnectNow(): void;
  openSearch(): void;
  focus(): void;
  /** The grid that fits the pane (null when hidden). */
  size(): GridSize | null;
}

const RESIZE_DEBOUNCE_MS = 50;

/** One terminal: an xterm.js screen attached to the server. Hidden panes stay mounted and connected. */
export function TerminalPane({ terminal, visible, onGone, onConnection }: TerminalPaneProps) {
  const { id } = terminal;
  const rootRef = useRef<HTMLDivElement>(null);
  const hostRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<XtermView | null>(null);
  const visibleRef = useRef(visible);
  const connRef = useRef<TerminalConnection | null>(null);
  const [searching, setSearching] = useState(false);

  // 1. the screen
  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const view = new XtermView(id, host);
    viewRef.current = view;
    view.term.attachCustomKeyEventHandler((e) => {
      if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.code === 'KeyF') {
        setSearching(true);
        return false;
      }
      if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.code === 'KeyC') {
        const selection = view.term.getSelection();
        if (selection) void navigator.clipboard?.writeText(selection).catch(() => undefined);
        return false;
      }
      return true;
    });
    return () => {
      view.dispose();
      viewRef.current = null;
    };
  }, [id]);

  // 2. renderer and size follow visibility
  useEffect(() => {
    visibleRef.current = visible;
    const view = viewRef.current;
    if (!view) return;
    view.setVisible(visible);
    if (visible) {
      syncSize(view, connRef.current);
      view.term.focus();
    }
  }, [visible, id]);

  // 3. the connection (reads viewRef and visibleRef filled above)
  const initialExit = terminal.status === 'exited' ? { code: terminal.exitCode ?? null, signal: terminal.signal ?? null } : null;
  useTerminalSocket({ id, viewRef, rootRef, visibleRef, connRef, initialExit, onGone });

  // 4. follow the container size (debounced), and claim the size when focused
  useEffect(() => {
    const host = hostRef.current;
    const view = viewRef.current;
    if (!host || !view) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (visibleRef.current) syncSize(view, connRef.current);
      }, RESIZE_DEBOUNCE_MS);
    });
    observer.observe(host);
    const textarea = view.term.textarea;
    const onFocus = () => syncSize(view, connRef.current);
    textarea?.addEventListener('focus', onFocus);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
      textarea?.removeEventListener('focus', onFocus);
    };
  }, [id]);

  // Remember the offset the user saw when leaving the tab.
  useEffect(() => {
    if (visible) return;
    const next = connRef.current?.state.next;
    if (next !== null && next !== undefined) tabMemory.setLastOffset(id, next);
  }, [visible, id]);

  useEffect(() => {
    onConnection(id, {
      restart: () => connRef.current?.command('restart'),
      interrupt: () => connRef.current?.command('interrupt'),
      reconnectNow: () => connRef.current?.reconnectNow(),
      openSearch: () => setSearching(true),
      focus: () => viewRef.current?.term.focus(),
      size: () => viewRef.current?.proposeSize() ?? null,
    });
    return () => onConnection(id, null);
  }, [id, onConnection]);

  const closeSearch = useCallback(() => {
    setSearching(false);
    viewRef.current?.term.focus();
  }, []);
  const getSearch = useCallback(() => viewRef.current?.search ?? null, []);

  return (
    <div
      ref={rootRef}
      className={visible ? 'terminal-pane' : 'terminal-pane hidden'}
      data-testid={`terminal-${id}`}
      data-terminal-id={id}
      role="tabpanel"
      aria-hidden={!visible}
    >
      <div ref={hostRef} className="terminal-host" />
      {searching && <SearchBox getSearch={getSearch} onClose={closeSearch} />}
    </div>
  );
}
