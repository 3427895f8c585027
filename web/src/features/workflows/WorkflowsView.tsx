import { useEffect, useState } from 'react';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { formatDateTime, formatRelative } from '../../shared/time';
import { useNow } from '../inbox/useNow';
import { navigate } from '../nav/nav';
import type { ProjectView } from '../tasks/taskTypes';
import { tasksApi } from '../tasks/tasksApi';
import { WorkflowPage } from './WorkflowPage';
import { workflowsApi } from './workflowsApi';
import type { WorkflowView } from './workflowTypes';
import './workflows.css';

/** `#/workflows` (the list), `#/workflows/new` and `#/workflows/<id>` (one workflow's page). */
export function WorkflowsView({ workflowId }: { workflowId: string | null }) {
  if (workflowId === 'new') return <WorkflowPage key="new" workflowId={null} />;
  if (workflowId) return <WorkflowPage key={workflowId} workflowId={workflowId} />;
  return <WorkflowList />;
}

function WorkflowList() {
  const now = useNow();
  const [list, setList] = useState<WorkflowView[] | null>(null);
  const [projects, setProjects] = useState<ProjectView[]>([]);
  const [error, setError] = useState<ShownError | null>(null);
  useEffect(() => {
    workflowsApi.list().then(setList, (e: unknown) => {
      setError(shownError(e));
      setList([]);
    });
    tasksApi.projects().then(setProjects, () => undefined);
  }, []);
  const projectName = (id: string) => projects.find((p) => p.id === id)?.name ?? id.slice(0, 8);

  return (
    <section className="workflows" data-testid="workflows-view">
      <header className="sandboxes-header">
        <h1>Workflows</h1>
        <span className="top-bar-spacer" />
        <button className="primary-button" data-testid="new-workflow" onClick={() => navigate({ view: 'workflows', workflowId: 'new' })}>
          New workflow
        </button>
      </header>
      <ErrorLine error={error} testId="workflows-error" />
      {list === null ? (
        <p className="muted sandboxes-empty">Loading workflows…</p>
      ) : list.length === 0 ? (
        <p className="muted sandboxes-empty">
          No workflows yet. A workflow is YAML: steps (Claude tasks, Git operations, shell commands, waits, approvals) that depend on each other.
        </p>
      ) : (
        <table className="wf-table">
          <thead>
            <tr>
              <th>name</th>
              <th>project</th>
              <th>enabled</th>
              <th>updated</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => (
              <tr key={w.id} data-testid={`workflow-row-${w.id}`}>
                <td>
                  <button className="link-button" data-testid={`workflow-open-${w.name}`} onClick={() => navigate({ view: 'workflows', workflowId: w.id })}>
                    {w.name}
                  </button>
                </td>
                <td>{projectName(w.projectId)}</td>
                <td>{w.enabled ? 'yes' : 'no'}</td>
                <td className="muted" title={formatDateTime(w.updatedAt)}>
                  {formatRelative(w.updatedAt, now)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
