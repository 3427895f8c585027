import { useProjects } from './projectStore';

/** The projects in the sidebar; a click opens the project's page. */
export function SidebarProjects({ selected, onSelect }: { selected: string | null; onSelect: (id: string) => void }) {
  const { list } = useProjects();
  if (list === null) return <p className="sidebar-empty">Loading…</p>;
  if (list.length === 0) return <p className="sidebar-empty">No projects yet. Import a repository to start.</p>;
  return (
    <ul className="sidebar-list">
      {list.map((p) => (
        <li key={p.id}>
          <button
            className={selected === p.id ? 'sidebar-item active' : 'sidebar-item'}
            data-testid={`sidebar-project-${p.name}`}
            data-status={p.status}
            title={`${p.name} (${p.status})`}
            onClick={() => onSelect(p.id)}
          >
            <span className={`status-dot project-dot-${p.status}`} aria-hidden />
            <span className="sidebar-item-label">{p.name}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
