import { useCallback, useEffect, useState } from 'react';
import type { BranchView, ProjectDetailView, TerminalView } from '../../shared/api/types';
import { ConfirmDialog } from '../../shared/ui/ConfirmDialog';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { sandboxGit } from '../git/sandboxGit';
import { openProject } from '../nav/nav';
import { SandboxCard } from '../sandboxes/SandboxCard';
import { refreshSandboxes } from '../sandboxes/sandboxEvents';
import { upsertSandbox, useSandboxes } from '../sandboxes/sandboxStore';
import { NewProjectSandboxDialog } from './NewProjectSandboxDialog';
import { ProjectStatusBadge } from './ProjectStatusBadge';
import { PullStatus } from './PullStatus';
import { formatCommitTime, shortSha } from './projectFormat';
import { projectsApi } from './projectsApi';
import { removeProject, upsertProject, upsertPull, useProjects } from './projectStore';

interface ProjectPageProps {
  projectId: string;
  onOpenTerminal: (sandboxId: string) => Promise<void>;
  terminals: TerminalView[] | null;
  onOpenTab: (terminalId: string) => void;
}

/** One project: what it is, its branches, its sandboxes (cards with their Git work) and its PRs. */
export function ProjectPage({ projectId, onOpenTerminal, terminals, onOpenTab }: ProjectPageProps) {
  const [detail, setDetail] = useState<{ id: string; view: ProjectDetailView | null; error: ShownError | null } | null>(null);
  const [branches, setBranches] = useState<BranchView[] | null>(null);
  const [refreshing, setRefreshing] = useState(false);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<ShownError | null>(null);
  const { list, pulls, removed } = useProjects();
  const { list: allSandboxes } = useSandboxes();

  useEffect(() => {
    void refreshSandboxes();
  }, []);

  useEffect(() => {
    let live = true;
    projectsApi.get(projectId).then(
      (view) => {
        if (!live) return;
        upsertProject(view.project);
        view.pulls.forEach(upsertPull);
        setDetail({ id: projectId, view, error: null });
      },
      (error: unknown) => live && setDetail({ id: projectId, view: null, error: shownError(error) }),
    );
    projectsApi.branches(projectId).then(
      (b) => live && setBranches(b),
      () => live && setBranches([]),
    );
    return () => {
      live = false;
    };
  }, [projectId]);

  const refreshBranches = useCallback(async () => {
    setRefreshing(true);
    try {
      setBranches(await projectsApi.branches(projectId, true));
    } catch {
      // toast
    } finally {
      setRefreshing(false);
    }
  }, [projectId]);

  const current = detail?.id === projectId ? detail : null;
  const project = removed.has(projectId) ? null : (list?.find((p) => p.id === projectId) ?? current?.view?.project ?? null);
  const sandboxes = (allSandboxes ?? []).filter((s) => sandboxGit(s)?.projectId === projectId);
  const unknownRefs = (current?.view?.sandboxes ?? []).filter((r) => !allSandboxes?.some((s) => s.id === r.id));
  const prs = [...pulls.values()].filter((pr) => pr.projectId === projectId).sort((a, b) => b.number - a.number);

  const remove = async () => {
    setDeleteError(null);
    try {
      await projectsApi.remove(projectId);
      removeProject(projectId);
      openProject(null);
    } catch (error) {
      setDeleteError(shownError(error));
    }
  };

  if (!project) {
    return (
      <section className="sandboxes project-page" data-testid="project-page">
        <button className="link-button" onClick={() => openProject(null)}>
          ← Projects
        </button>
        {removed.has(projectId) ? (
          <p className="muted" data-testid="project-removed">
            This project was deleted.
          </p>
        ) : current?.error ? (
          <ErrorLine error={current.error} testId="project-error" />
        ) : (
          <p className="muted">Loading project…</p>
        )}
      </section>
    );
  }

  const d = project.detected;
  return (
    <section className="sandboxes project-page" data-testid="project-page" data-project-id={project.id} data-status={project.status}>
      <button className="link-button back-link" data-testid="project-back" onClick={() => openProject(null)}>
        ← Projects
      </button>
      <header className="sandboxes-header">
        <h1 data-testid="project-name">{project.name}</h1>
        <ProjectStatusBadge project={project} />
        {project.private && <span className="private-chip">private</span>}
        <span className="top-bar-spacer" />
        <button className="small-button danger" data-testid="project-delete" onClick={() => setDeleting(true)}>
          Delete project
        </button>
      </header>
      <ErrorLine error={deleteError} testId="project-delete-error" />

      <dl className="project-facts" data-testid="project-facts">
        <dt>Clone URL</dt>
        <dd>
          <code data-testid="project-clone-url">{project.cloneUrl}</code>
        </dd>
        <dt>Default branch</dt>
        <dd data-testid="project-default-branch">{project.defaultBranch}</dd>
        <dt>Source</dt>
        <dd>
          {project.kind}
          {project.shallow && ' · shallow'}
        </dd>
        <dt>Languages</dt>
        <dd data-testid="project-languages">{d?.languages.length ? d.languages.join(', ') : <span className="muted">none detected</span>}</dd>
        <dt>Package managers</dt>
        <dd data-testid="project-package-managers">{d?.packageManagers.length ? d.packageManagers.join(', ') : <span className="muted">none detected</span>}</dd>
        <dt>Setup</dt>
        <dd data-testid="project-setup">
          {d?.setupFile ? (
            <code>{d.setupFile}</code>
          ) : d?.setupCommands.length ? (
            d.setupCommands.map((c) => (
              <code key={c} className="setup-command">
                {c}
              </code>
            ))
          ) : (
            <span className="muted">nothing to run</span>
          )}
        </dd>
      </dl>

      <section className="panel">
        <header className="panel-header">
          <h2>Sandboxes</h2>
          <span className="top-bar-spacer" />
          <button className="primary-button" data-testid="project-new-sandbox" disabled={project.status !== 'ready'} onClick={() => setCreating(true)}>
            New sandbox
          </button>
        </header>
        {sandboxes.length === 0 && unknownRefs.length === 0 ? (
          <p className="muted">No sandboxes yet: each sandbox gets its own checkout on a new branch.</p>
        ) : (
          <div className="sandbox-grid">
            {sandboxes.map((s) => (
              <SandboxCard key={s.id} sandbox={s} onOpenTerminal={onOpenTerminal} terminals={terminals} onOpenTab={onOpenTab} />
            ))}
            {unknownRefs.map((r) => (
              <p key={r.id} className="muted">
                {r.id.slice(0, 8)} on {r.branch}
              </p>
            ))}
          </div>
        )}
      </section>

      <section className="panel" data-testid="project-pulls">
        <h2>Pull requests</h2>
        {prs.length === 0 ? (
          <p className="muted">None yet. Create one from a sandbox card.</p>
        ) : (
          <ul className="pr-list">
            {prs.map((pr) => (
              <li key={pr.number}>
                <PullStatus pr={pr} testId={`pr-${pr.number}`} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="panel" data-testid="project-branches">
        <header className="panel-header">
          <h2>Branches</h2>
          <span className="top-bar-spacer" />
          <button className="small-button" data-testid="branches-refresh" disabled={refreshing} onClick={() => void refreshBranches()}>
            {refreshing ? 'Fetching…' : 'Refresh'}
          </button>
        </header>
        {branches === null ? (
          <p className="muted">Loading branches…</p>
        ) : branches.length === 0 ? (
          <p className="muted">No branches.</p>
        ) : (
          <table className="settings-table branch-table">
            <tbody>
              {branches.map((b) => (
                <tr key={b.name} data-testid={`branch-${b.name}`}>
                  <td>
                    <code>{b.name}</code>
                    {b.name === project.defaultBranch && <span className="live-chip on branch-default">default</span>}
                  </td>
                  <td>
                    <code>{shortSha(b.sha)}</code>
                  </td>
                  <td className="ellipsis-cell">{b.subject}</td>
                  <td className="muted">{formatCommitTime(b.committedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {creating && (
        <NewProjectSandboxDialog
          project={project}
          branches={branches}
          onClose={() => setCreating(false)}
          onCreated={(sandbox) => {
            upsertSandbox(sandbox);
            setCreating(false);
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete project ${project.name}?`}
          message="Its mirror on this machine is removed. The repository on the forge is not touched."
          confirmLabel="Delete"
          danger
          onCancel={() => setDeleting(false)}
          onConfirm={() => {
            setDeleting(false);
            void remove();
          }}
        />
      )}
    </section>
  );
}

