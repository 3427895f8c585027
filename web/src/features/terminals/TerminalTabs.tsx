import { useEffect, useRef, useState } from 'react';
import type { SandboxView, TerminalView } from '../../shared/api/types';
import { AgentBadge } from '../agents/AgentBadge';
import { useAgents } from '../agents/agentStore';
import type { TerminalConnectionState } from './TerminalConnection';
import { tabMemory } from './tabMemory';
import { terminalLabel } from './terminalsApi';
import { displayStatus } from './useTerminalSocket';

interface TerminalTabsProps {
  terminals: TerminalView[];
  /** For the sandbox badge of tabs whose terminal runs in a sandbox. */
  sandboxes: SandboxView[] | null;
  activeId: string | null;
  runtimes: ReadonlyMap<string, TerminalConnectionState>;
  creating: boolean;
  onSelect: (id: string) => void;
  onNew: () => void;
  onClose: (id: string) => void;
  onRename: (id: string, name: string) => void;
  onReplay: (id: string) => void;
}

interface MenuState {
  id: string;
  x: number;
  y: number;
}

/** Tab bar: click selects, double-click renames, middle-click or × closes, right-click for more. */
export function TerminalTabs(props: TerminalTabsProps) {
  const { terminals, sandboxes, activeId, runtimes, creating, onSelect, onNew, onClose, onRename, onReplay } = props;
  const [editing, setEditing] = useState<string | null>(null);
  const [menu, setMenu] = useState<MenuState | null>(null);
  const agents = useAgents();

  useEffect(() => {
    if (!menu) return;
    const dismiss = () => setMenu(null);
    window.addEventListener('mousedown', dismiss);
    window.addEventListener('blur', dismiss);
    return () => {
      window.removeEventListener('mousedown', dismiss);
      window.removeEventListener('blur', dismiss);
    };
  }, [menu]);

  return (
    <div className="tab-bar" role="tablist" aria-label="Terminals">
      {terminals.map((t) => {
        const runtime = runtimes.get(t.id);
        const status = runtime ? (runtime.exit ? 'exited' : displayStatus(runtime)) : t.status;
        const active = t.id === activeId;
        const lastSeen = tabMemory.lastOffset(t.id);
        const agent = agents.get(t.id)?.agent;
        const unseen = !active && runtime?.next != null && lastSeen !== null && runtime.next > lastSeen;
        return (
          <div
            key={t.id}
            role="tab"
            aria-selected={active}
            tabIndex={active ? 0 : -1}
            className={active ? 'tab active' : 'tab'}
            data-testid={`tab-${t.id}`}
            data-status={status}
            title={[t.command.join(' '), t.cwd ?? ''].join('\n').trim()}
            onClick={() => onSelect(t.id)}
            onDoubleClick={() => setEditing(t.id)}
            onAuxClick={(e) => {
              if (e.button === 1) onClose(t.id);
            }}
            onContextMenu={(e) => {
              e.preventDefault();
              setMenu({ id: t.id, x: e.clientX, y: e.clientY });
            }}
          >
            <span className={`status-dot status-${status}`} aria-hidden />
            {t.sandboxId && <SandboxBadge id={t.sandboxId} sandboxes={sandboxes} />}
            {editing === t.id ? (
              <RenameInput
                initial={terminalLabel(t)}
                onDone={(name) => {
                  setEditing(null);
                  if (name !== null && name !== terminalLabel(t)) onRename(t.id, name);
                  else onSelect(t.id);
                }}
              />
            ) : (
              <span className="tab-label">{terminalLabel(t)}</span>
            )}
            {agent && <AgentBadge agent={agent} testId={`agent-badge-${t.id}`} />}
            {unseen && <span className="unseen-dot" title="New output" data-testid={`unseen-${t.id}`} />}
            <button
              className="tab-close"
              aria-label={`Close ${terminalLabel(t)}`}
              data-testid={`close-${t.id}`}
              onClick={(e) => {
                e.stopPropagation();
                onClose(t.id);
              }}
            >
              ×
            </button>
          </div>
        );
      })}
      <button className="tab-new" data-testid="new-terminal" title="New terminal" disabled={creating} onClick={onNew}>
        +
      </button>
      {menu && (
        <div
          className="context-menu"
          style={{ left: menu.x, top: menu.y }}
          data-testid="tab-menu"
          role="menu"
          onMouseDown={(e) => e.stopPropagation()}
        >
          <MenuItem testId="menu-rename" label="Rename" onClick={() => setEditing(menu.id)} close={() => setMenu(null)} />
          <MenuItem testId="menu-replay" label="Replay recording" onClick={() => onReplay(menu.id)} close={() => setMenu(null)} />
          <MenuItem testId="menu-close" label="Close terminal" danger onClick={() => onClose(menu.id)} close={() => setMenu(null)} />
        </div>
      )}
    </div>
  );
}

function SandboxBadge({ id, sandboxes }: { id: string; sandboxes: SandboxView[] | null }) {
  const name = sandboxes?.find((s) => s.id === id)?.name ?? id.slice(0, 8);
  return (
    <span className="sandbox-badge" data-testid="tab-sandbox" title={`Runs in sandbox ${name}`}>
      {name}
    </span>
  );
}

function MenuItem(props: { testId: string; label: string; danger?: boolean; onClick: () => void; close: () => void }) {
  return (
    <button
      role="menuitem"
      className={props.danger ? 'menu-item danger' : 'menu-item'}
      data-testid={props.testId}
      onClick={() => {
        props.close();
        props.onClick();
      }}
    >
      {props.label}
    </button>
  );
}

/** Inline editor: Enter or blur commits, Escape cancels (`onDone(null)`). */
function RenameInput({ initial, onDone }: { initial: string; onDone: (name: string | null) => void }) {
  const [value, setValue] = useState(initial);
  // A ref, not state: Enter unmounts the input, whose blur then fires in the same tick.
  const done = useRef(false);
  const finish = (name: string | null) => {
    if (done.current) return;
    done.current = true;
    onDone(name === null || name.trim() === '' ? null : name.trim());
  };
  return (
    <input
      className="tab-rename"
      data-testid="tab-rename"
      value={value}
      autoFocus
      spellCheck={false}
      maxLength={100}
      onFocus={(e) => e.target.select()}
      onChange={(e) => setValue(e.target.value)}
      onClick={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') finish(value);
        else if (e.key === 'Escape') finish(null);
      }}
      onBlur={() => finish(value)}
    />
  );
}
