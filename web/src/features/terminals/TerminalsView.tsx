import { useCallback, useEffect, useRef, useState } from 'react';
import { navigate } from '../nav/nav';
import { sandboxName, useSandboxes } from '../sandboxes/sandboxStore';
import { StatusLine } from './StatusLine';
import { type PaneControls, TerminalPane } from './TerminalPane';
import { TerminalTabs } from './TerminalTabs';
import { ReplayModal } from './ReplayModal';
import { estimateGrid } from './gridSize';
import { useRuntimes } from './runtimeStore';
import { terminalLabel } from './terminalsApi';
import type { TerminalsModel } from './useTerminals';

interface TerminalsViewProps {
  model: TerminalsModel;
  /** Another view is shown: panes stay mounted and connected, none is visible. */
  hidden: boolean;
  /** Only the tabs of this sandbox are listed. */
  sandboxFilter: string | null;
}

/** The main area: tab bar, one pane per terminal (only the active one shown), status line. */
export function TerminalsView({ model, hidden, sandboxFilter }: TerminalsViewProps) {
  const { terminals: all, activeId: modelActiveId, setActive, create, close, rename, forget, creating } = model;
  const { list: sandboxes } = useSandboxes();
  const terminals = sandboxFilter === null ? all : (all?.filter((t) => t.sandboxId === sandboxFilter) ?? null);
  // Filtered to a sandbox whose tabs do not include the active one: show its newest.
  const activeId = terminals?.some((t) => t.id === modelActiveId) ? modelActiveId : (terminals?.[terminals.length - 1]?.id ?? null);
  const filterName = sandboxFilter === null ? null : (sandboxName(sandboxes, sandboxFilter) ?? sandboxFilter.slice(0, 8));
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
    void create(size, { sandboxId: sandboxFilter });
  }, [activeControls, create, sandboxFilter]);

  // Ctrl+Shift+F anywhere opens the search of the visible terminal (inside xterm the pane handles it).
  useEffect(() => {
    if (hidden) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.shiftKey && e.code === 'KeyF') {
        e.preventDefault();
        activeControls?.openSearch();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [activeControls, hidden]);

  const active = terminals?.find((t) => t.id === activeId) ?? null;
  const replaying = terminals?.find((t) => t.id === replayId) ?? null;

  return (
    <section className={hidden ? 'terminals hidden' : 'terminals'} aria-hidden={hidden} data-testid="terminals-view">
      {filterName !== null && (
        <div className="tab-filter" data-testid="tab-filter">
          Terminals of sandbox <span className="sandbox-badge">{filterName}</span>
          <button className="link-button" data-testid="tab-filter-clear" onClick={() => navigate({ sandboxFilter: null })}>
            show all
          </button>
        </div>
      )}
      <TerminalTabs
        terminals={terminals ?? []}
        sandboxes={sandboxes}
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
        {all?.map((t) => (
          <TerminalPane key={t.id} terminal={t} visible={!hidden && t.id === activeId} onGone={forget} onConnection={onConnection} />
        ))}
        {terminals === null && <div className="empty-state">Loading terminals…</div>}
        {terminals?.length === 0 && (
          <div className="empty-state">
            <p>{filterName === null ? 'No terminals yet.' : `No terminals in sandbox ${filterName}.`}</p>
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
