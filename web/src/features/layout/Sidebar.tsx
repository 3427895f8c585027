/** Left column: projects and sandboxes (placeholders until those APIs exist). */
export function Sidebar() {
  return (
    <nav className="sidebar" aria-label="Workspace">
      <section className="sidebar-section">
        <h2 className="sidebar-title">Projects</h2>
        <p className="sidebar-empty">No projects yet. Importing a repository will appear here.</p>
      </section>
      <section className="sidebar-section">
        <h2 className="sidebar-title">Sandboxes</h2>
        <p className="sidebar-empty">No sandboxes. Terminals run on the host for now.</p>
      </section>
    </nav>
  );
}
