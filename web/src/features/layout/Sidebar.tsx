import type { TerminalView } from '../../shared/api/types';
import { type NavState, navigate, openProject } from '../nav/nav';
import { SidebarProjects } from '../projects/SidebarProjects';
import { SidebarSandboxes } from '../sandboxes/SidebarSandboxes';

interface SidebarProps {
  nav: NavState;
  terminals: TerminalView[] | null;
  onSelectSandbox: (id: string) => void;
}

/** Left column: the projects and the sandboxes with their status. */
export function Sidebar({ nav, terminals, onSelectSandbox }: SidebarProps) {
  return (
    <nav className="sidebar" aria-label="Workspace">
      <section className="sidebar-section">
        <h2 className="sidebar-title">
          <button
            className={nav.view === 'projects' && !nav.projectId ? 'sidebar-link active' : 'sidebar-link'}
            data-testid="sidebar-projects"
            onClick={() => openProject(null)}
          >
            Projects
          </button>
        </h2>
        <SidebarProjects selected={nav.view === 'projects' ? (nav.projectId ?? null) : null} onSelect={openProject} />
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
