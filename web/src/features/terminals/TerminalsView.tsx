import { useCallback, useEffect, useRef, useState } from 'react';
import { StatusLine } from './StatusLine';
import { type PaneControls, TerminalPane } from './TerminalPane';
import { TerminalTabs } from './TerminalTabs';
import { ReplayModal } from './ReplayModal';
import { estimateGrid } from './gridSize';
import { useRuntimes } from './runtimeStore';
import { terminalLabel } from './terminalsApi';
import { useTerminals } from './useTerminals';

/** The main area: tab bar, one pane per terminal (only the active one shown), status line. */
export function TerminalsView() {
  const model = useTerminals();
  const { terminals, activeId, setActive, create, close, rename, forget, creating } = model;
  const runtimes = useRuntimes();
  const areaRef = useRef<HTMLDivElement>(null);
  const [controls, setControls] = useState<ReadonlyMap<string, PaneControls>>(new Map());
  const [replayId, setReplayId] = useState<string | null>(null);

  const onConnection = useCallback((id: string, c: PaneControls | null) => {
    setControls((current) => {
      const next = new Map(current);
      if (c) next.set(id, c);
      else next.delete(id);
      return next;
    });
  }, []);

  const activeControls = activeId ? (controls.get(activeId) ?? null) : null;

  const newTerminal = useCallback(() => {
    const size = activeControls?.size() ?? estimateGrid(areaRef.current);
    void create(size);
  }, [activeControls, create]);

  // Ctrl+Shift+F anywhere opens the search of the visible terminal (inside xterm the pane handles it).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.shiftKey && e.code === 'KeyF') {
        e.preventDefault();
        activeControls?.openSearch();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [activeControls]);

  const active = terminals?.find((t) => t.id === activeId) ?? null;
  const replaying = terminals?.find((t) => t.id === replayId) ?? null;

  return (
    <section className="terminals">
      <TerminalTabs
        terminals={terminals ?? []}
        activeId={activeId}
        runtimes={runtimes}
        creating={creating}
        onSelect={(id) => {
          setActive(id);
          controls.get(id)?.focus();
        }}
        onNew={newTerminal}
        onClose={(id) => void close(id)}
        onRename={(id, name) => {
          controls.get(id)?.focus();
          void rename(id, name);
        }}
        onReplay={setReplayId}
      />
      <div className="terminal-area" ref={areaRef}>
        {terminals?.map((t) => (
          <TerminalPane key={t.id} terminal={t} visible={t.id === activeId} onGone={forget} onConnection={onConnection} />
        ))}
        {terminals === null && <div className="empty-state">Loading terminals…</div>}
        {terminals?.length === 0 && (
          <div className="empty-state">
            <p>No terminals yet.</p>
            <button className="primary-button" onClick={newTerminal} disabled={creating}>
              Open a terminal
            </button>
          </div>
        )}
      </div>
      <StatusLine
        terminal={active}
        state={activeId ? (runtimes.get(activeId) ?? null) : null}
        controls={activeControls}
        onReplay={setReplayId}
      />
      {replaying && <ReplayModal terminalId={replaying.id} title={terminalLabel(replaying)} onClose={() => setReplayId(null)} />}
    </section>
  );
}
