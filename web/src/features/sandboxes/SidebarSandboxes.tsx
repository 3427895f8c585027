import type { TerminalView } from '../../shared/api/types';
import { useSandboxes } from './sandboxStore';

interface SidebarSandboxesProps {
  /** The sandbox whose terminals are listed, if any. */
  selected: string | null;
  terminals: TerminalView[] | null;
  onSelect: (id: string) => void;
}

/** The sandboxes in the sidebar: a status dot each; a click lists that sandbox's terminals. */
export function SidebarSandboxes({ selected, terminals, onSelect }: SidebarSandboxesProps) {
  const { list } = useSandboxes();
  if (list === null) return <p className="sidebar-empty">Loading…</p>;
  if (list.length === 0) return <p className="sidebar-empty">No sandboxes. Terminals run on the host.</p>;
  return (
    <ul className="sidebar-list">
      {list.map((s) => {
        const open = terminals?.filter((t) => t.sandboxId === s.id).length ?? 0;
        return (
          <li key={s.id}>
            <button
              className={selected === s.id ? 'sidebar-item active' : 'sidebar-item'}
              data-testid={`sidebar-sandbox-${s.name}`}
              data-status={s.status}
              title={`${s.name}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`}
              onClick={() => onSelect(s.id)}
            >
              <span className={`status-dot sandbox-dot-${s.status}`} aria-hidden />
              <span className="sidebar-item-label">{s.name}</span>
              {open > 0 && <span className="sidebar-count">{open}</span>}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
