import type { TerminalView } from '../../shared/api/types';
import { type NavState, navigate } from '../nav/nav';
import { SidebarSandboxes } from '../sandboxes/SidebarSandboxes';

interface SidebarProps {
  nav: NavState;
  terminals: TerminalView[] | null;
  onSelectSandbox: (id: string) => void;
}

/** Left column: projects (placeholder) and the sandboxes with their status. */
export function Sidebar({ nav, terminals, onSelectSandbox }: SidebarProps) {
  return (
    <nav className="sidebar" aria-label="Workspace">
      <section className="sidebar-section">
        <h2 className="sidebar-title">Projects</h2>
        <p className="sidebar-empty">No projects yet. Importing a repository will appear here.</p>
      </section>
      <section className="sidebar-section">
        <h2 className="sidebar-title">
          <button
            className={nav.view === 'sandboxes' ? 'sidebar-link active' : 'sidebar-link'}
            data-testid="sidebar-sandboxes"
            onClick={() => navigate({ view: 'sandboxes' })}
          >
            Sandboxes
          </button>
        </h2>
        <SidebarSandboxes
          selected={nav.view === 'terminals' ? nav.sandboxFilter : null}
          terminals={terminals}
          onSelect={onSelectSandbox}
        />
      </section>
    </nav>
  );
}
