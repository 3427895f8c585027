import { useEffect, useMemo, useState } from 'react';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { Modal } from '../../shared/ui/Modal';
import { formatDateTime } from '../../shared/time';
import { navigate } from '../nav/nav';
import { RunEventLog } from '../runs/RunEventLog';
import { logItems } from '../runs/runLog';
import { loadDetail, selectRun, useRuns } from '../runs/runStore';
import { phaseLabel } from './board';
import { upsertTask, useTasks } from './taskStore';
import { tasksApi } from './tasksApi';
import type { TaskLog, TaskView } from './taskTypes';
import type { DetailTab } from './TaskCard';

interface TaskDetailModalProps {
  taskId: string;
  initialTab?: DetailTab;
  onClose: () => void;
}

/**
 * A task's own log (scheduler and phase messages) and its headless run's event log (what Claude
 * said and which tools it used), refreshed as the task's events arrive.
 */
export function TaskDetailModal({ taskId, initialTab = 'log', onClose }: TaskDetailModalProps) {
  const fromStore = useTasks().list?.find((t) => t.id === taskId) ?? null;
  const [fetched, setFetched] = useState<TaskView | null>(null);
  const task = fromStore ?? fetched;
  const [tab, setTab] = useState<DetailTab>(initialTab);
  const [logs, setLogs] = useState<TaskLog[] | null>(null);
  const [error, setError] = useState<ShownError | null>(null);

  // The task itself when the board has not listed it (opened from a workflow run).
  useEffect(() => {
    if (fromStore) return;
    let live = true;
    tasksApi.get(taskId).then(
      (t) => {
        if (!live) return;
        setFetched(t);
        upsertTask(t, true);
      },
      (e: unknown) => live && setError(shownError(e)),
    );
    return () => {
      live = false;
    };
  }, [taskId, fromStore]);

  // Re-read the logs whenever the task moves on (a new phase, progress, status).
  const version = task ? `${task.status}|${task.phase ?? ''}|${task.progress}|${task.attempt}|${task.runId ?? ''}` : '';
  const runId = task?.runId ?? null;
  useEffect(() => {
    let live = true;
    tasksApi.logs(taskId).then(
      (l) => live && setLogs(l),
      (e: unknown) => live && setError(shownError(e)),
    );
    return () => {
      live = false;
    };
  }, [taskId, runId, version]);

  // The run's event log comes from the Runs feature's store, which `run` events keep live.
  useEffect(() => {
    if (runId) void loadDetail(runId);
  }, [runId]);
  const run = useRuns().details.get(runId ?? '') ?? null;
  const items = useMemo(() => (run ? logItems(run.events) : []), [run]);

  return (
    <Modal title={task ? `Task: ${task.title}` : 'Task'} onClose={onClose} wide testId="task-detail">
      {task && (
        <dl className="task-facts">
          <dt>status</dt>
          <dd data-testid="task-detail-status">
            {task.status}
            {task.phase ? ` · ${phaseLabel(task.phase)}` : ''}
          </dd>
          <dt>branch</dt>
          <dd>
            {task.baseBranch} → {task.targetBranch}
          </dd>
          <dt>created</dt>
          <dd>{formatDateTime(task.createdAt)}</dd>
          <dt>prompt</dt>
          <dd className="task-prompt">{task.prompt}</dd>
        </dl>
      )}
      <div className="detail-tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'log'} className={tab === 'log' ? 'active' : ''} data-testid="task-detail-tab-log" onClick={() => setTab('log')}>
          Task log
        </button>
        <button
          role="tab"
          aria-selected={tab === 'run'}
          className={tab === 'run' ? 'active' : ''}
          data-testid="task-detail-tab-run"
          disabled={!runId}
          title={runId ? 'The headless run’s events' : 'No headless run (yet)'}
          onClick={() => setTab('run')}
        >
          Run events
        </button>
      </div>
      <ErrorLine error={error} testId="task-detail-error" />
      {tab === 'log' ? (
        <ol className="task-log" data-testid="task-log">
          {logs === null ? (
            <li className="muted">Loading…</li>
          ) : logs.length === 0 ? (
            <li className="muted">Nothing logged yet.</li>
          ) : (
            logs.map((l) => (
              <li key={l.seq} className={`task-log-${l.level}`}>
                <time className="muted">{new Date(l.at).toLocaleTimeString()}</time> <span className="task-log-level">{l.level}</span> {l.message}
              </li>
            ))
          )}
        </ol>
      ) : (
        <div className="task-run" data-testid="task-run">
          {run === null ? (
            <p className="muted">Loading…</p>
          ) : (
            <>
              <p className="muted task-run-head">
                run <code>{run.run.id.slice(0, 8)}</code> · {run.run.status}
                {run.run.sessionId ? ` · session ${run.run.sessionId.slice(0, 8)}` : ''}
                {' · '}
                <button
                  className="link-button"
                  data-testid="task-open-run"
                  onClick={() => {
                    selectRun(run.run.id);
                    navigate({ view: 'runs' });
                    onClose();
                  }}
                >
                  open in Runs
                </button>
              </p>
              <RunEventLog items={items} />
            </>
          )}
        </div>
      )}
    </Modal>
  );
}
