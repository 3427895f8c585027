import { useEffect, useMemo, useState } from 'react';
import { useNow } from '../inbox/useNow';
import { useSandboxes } from '../sandboxes/sandboxStore';
import { COLUMNS, groupTasks } from './board';
import { NewTaskDialog } from './NewTaskDialog';
import { radarWarnings, tasksBySandbox } from './radar';
import { RadarWarnings } from './RadarWarnings';
import { SchedulerBar } from './SchedulerBar';
import { type DetailTab, TaskCard } from './TaskCard';
import { TaskDetailModal } from './TaskDetailModal';
import { refreshTasks, upsertTask, useTasks } from './taskStore';
import './tasks.css';

/** The task board: a column per state, live from `task` events; the scheduler and the radar on top. */
export function TasksView() {
  const { list, scheduler, radar, projects } = useTasks();
  const sandboxes = useSandboxes();
  const now = useNow(1_000);
  const [creating, setCreating] = useState(false);
  const [projectFilter, setProjectFilter] = useState<string | null>(null);
  const [detail, setDetail] = useState<{ taskId: string; tab: DetailTab } | null>(null);
  useEffect(() => {
    void refreshTasks();
  }, []);

  const board = useMemo(() => groupTasks(list ?? [], projectFilter), [list, projectFilter]);
  const warnings = useMemo(() => radarWarnings(radar, projectFilter), [radar, projectFilter]);
  const bySandbox = useMemo(() => tasksBySandbox(list ?? []), [list]);
  const projectNames = useMemo(() => new Map((projects ?? []).map((p) => [p.id, p.name])), [projects]);
  const sandboxNames = useMemo(() => new Map((sandboxes.list ?? []).map((s) => [s.id, s.name])), [sandboxes.list]);

  return (
    <section className="tasks" data-testid="tasks-view" data-live={sandboxes.live}>
      <header className="sandboxes-header">
        <h1>Tasks</h1>
        <span className={sandboxes.live ? 'live-chip on' : 'live-chip'} title={sandboxes.live ? 'Live updates' : 'Live updates paused: reconnecting'}>
          {sandboxes.live ? 'live' : 'offline'}
        </span>
        <select
          className="tasks-filter"
          data-testid="tasks-project-filter"
          aria-label="Project"
          value={projectFilter ?? ''}
          onChange={(e) => setProjectFilter(e.target.value || null)}
        >
          <option value="">All projects</option>
          {(projects ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <span className="top-bar-spacer" />
        <button className="primary-button" data-testid="new-task" onClick={() => setCreating(true)}>
          New task
        </button>
      </header>
      <SchedulerBar scheduler={scheduler} now={now} />
      <RadarWarnings warnings={warnings} bySandbox={bySandbox} sandboxNames={sandboxNames} />
      {list === null ? (
        <p className="muted sandboxes-empty">Loading tasks…</p>
      ) : (
        <div className="task-board" data-testid="task-board">
          {COLUMNS.map(({ id, title }) => (
            <section key={id} className={`task-column task-column-${id}`} data-testid={`task-column-${id}`} data-count={board[id].length} aria-label={title}>
              <header className="task-column-header">
                <span>{title}</span>
                <span className="task-column-count">{board[id].length}</span>
              </header>
              <div className="task-column-body">
                {board[id].length === 0 ? (
                  <p className="muted task-column-empty">{id === 'queued' && list.length === 0 ? 'No tasks yet. “New task” hands a prompt to an agent.' : '—'}</p>
                ) : (
                  board[id].map((t) => (
                    <TaskCard
                      key={t.id}
                      task={t}
                      projectName={projectNames.get(t.projectId) ?? null}
                      sandboxExists={t.sandboxId ? sandboxNames.has(t.sandboxId) : false}
                      now={now}
                      onDetails={(taskId, tab) => setDetail({ taskId, tab })}
                    />
                  ))
                )}
              </div>
            </section>
          ))}
        </div>
      )}
      {creating && (
        <NewTaskDialog
          projects={projects}
          projectId={projectFilter}
          onClose={() => setCreating(false)}
          onCreated={(task) => {
            upsertTask(task, true);
            setCreating(false);
          }}
        />
      )}
      {detail && <TaskDetailModal key={detail.taskId} taskId={detail.taskId} initialTab={detail.tab} onClose={() => setDetail(null)} />}
    </section>
  );
}
