import { useEffect } from 'react';
import { refreshGithubAuth, useGithubAuth } from '../github/githubStore';
import { navigate, openProject } from '../nav/nav';
import { useSandboxes } from '../sandboxes/sandboxStore';
import { sandboxGit } from '../git/sandboxGit';
import { ImportForm } from './ImportForm';
import { ProjectStatusBadge } from './ProjectStatusBadge';
import { RepoPicker } from './RepoPicker';
import { detectedSummary, plural } from './projectFormat';
import { refreshProjects, useProjects } from './projectStore';
import { useImport } from './useImport';

/** The imported repositories, the import form and (with GitHub connected) the user's repositories. */
export function ProjectsView() {
  const { list } = useProjects();
  const { list: sandboxes, live } = useSandboxes();
  const auth = useGithubAuth();
  const importing = useImport();
  useEffect(() => {
    void refreshProjects();
    void refreshGithubAuth();
  }, []);

  const sandboxCount = (projectId: string) => sandboxes?.filter((s) => sandboxGit(s)?.projectId === projectId).length ?? 0;

  return (
    <section className="sandboxes projects" data-testid="projects-view">
      <header className="sandboxes-header">
        <h1>Projects</h1>
        <span className={live ? 'live-chip on' : 'live-chip'}>{live ? 'live' : 'offline'}</span>
      </header>
      <section className="panel">
        <h2>Import a repository</h2>
        <ImportForm state={importing} onImport={importing.start} onEdit={importing.clearError} />
      </section>
      {auth?.connected ? (
        <RepoPicker login={auth.login ?? null} projects={list} busy={importing.importing !== null} onImport={importing.start} />
      ) : (
        auth && (
          <p className="muted" data-testid="github-hint">
            Connect GitHub in{' '}
            <button className="link-button" onClick={() => navigate({ view: 'settings' })}>
              Settings
            </button>{' '}
            to pick from your repositories and import private ones.
          </p>
        )
      )}
      <h2 className="section-title">Imported</h2>
      {list === null ? (
        <p className="muted">Loading projects…</p>
      ) : list.length === 0 ? (
        <p className="muted sandboxes-empty">No projects yet.</p>
      ) : (
        <ul className="project-list" data-testid="project-list">
          {list.map((p) => (
            <li key={p.id}>
              <button className="project-row" data-testid={`project-row-${p.name}`} data-status={p.status} onClick={() => openProject(p.id)}>
                <span className="project-row-name">
                  {p.name}
                  {p.private && <span className="private-chip">private</span>}
                </span>
                <ProjectStatusBadge project={p} />
                <span className="muted">{p.defaultBranch}</span>
                <span className="muted project-row-type">{detectedSummary(p.detected) ?? ''}</span>
                <span className="muted">{plural(sandboxCount(p.id), 'sandbox', 'sandboxes')}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
