import { useState } from 'react';
import { ConfirmDialog } from '../../shared/ui/ConfirmDialog';
import { formatDateTime, formatRelative } from '../../shared/time';
import { navigate } from '../nav/nav';
import { attemptLabel, canMarkDone, clampProgress, errorClassLabel, isActive, phaseLabel, usageLabel } from './board';
import { upsertTask } from './taskStore';
import { tasksApi } from './tasksApi';
import { formatElapsed, formatWaitReason } from './timeText';
import { type TaskView, taskResult } from './taskTypes';

export type DetailTab = 'log' | 'run';

interface TaskCardProps {
  task: TaskView;
  projectName: string | null;
  /** The task's sandbox still exists (its terminals can be opened). */
  sandboxExists: boolean;
  now: number;
  onDetails: (taskId: string, tab: DetailTab) => void;
}

/** One task on the board: what, where, how far, why it waits or failed, what it produced. */
export function TaskCard({ task, projectName, sandboxExists, now, onDetails }: TaskCardProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const result = taskResult(task);
  const progress = clampProgress(task.progress);
  const phase = phaseLabel(task.phase);
  const attempt = attemptLabel(task);
  const elapsed = task.status === 'running' || task.finishedAt ? formatElapsed(task.startedAt, task.finishedAt, now) : null;
  const branch = result?.branch ?? task.targetBranch;
  const usage = usageLabel(task.usage);

  const act = async (fn: () => Promise<TaskView>) => {
    setBusy(true);
    try {
      upsertTask(await fn(), true);
    } catch {
      // shown as a toast by the API client
    } finally {
      setBusy(false);
    }
  };

  return (
    <article
      className={`task-card task-${task.status}`}
      data-testid={`task-card-${task.id}`}
      data-status={task.status}
      data-phase={task.phase ?? ''}
      aria-label={task.title}
    >
      <header className="task-card-header">
        <h3 className="task-title" title={task.prompt}>
          {task.title}
        </h3>
        <span className={`task-type task-type-${task.type}`}>{task.type}</span>
      </header>
      <div className="task-where">
        {projectName && <span className="task-project">{projectName}</span>}
        <span className="task-branch" data-testid="task-branch" title={`${task.baseBranch} → ${branch}`}>
          {branch}
        </span>
        <span className="muted">from {task.baseBranch}</span>
      </div>
      <div className="task-chips">
        {task.mode === 'interactive' && <span className="task-chip">interactive</span>}
        {task.autoPR && <span className="task-chip">auto PR</span>}
        {task.priority !== 0 && <span className="task-chip">priority {task.priority}</span>}
        {task.workflowRunId && <span className="task-chip">workflow step {task.stepId ?? ''}</span>}
        {attempt && (
          <span className="task-chip" data-testid="task-attempt">
            {attempt}
          </span>
        )}
        {usage && (
          <span className="task-chip" data-testid="task-usage" title="model tokens (input, output and cache) through the proxy">
            {usage}
          </span>
        )}
      </div>

      {task.status === 'running' && (
        <div className="task-progress-block">
          <div className="task-phase" data-testid="task-phase">
            {phase ?? 'starting'}
            {elapsed && <span className="muted"> · {elapsed}</span>}
          </div>
          <div className="task-progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress} data-testid="task-progress">
            <div className="task-progress-fill" style={{ width: `${progress}%` }} />
          </div>
        </div>
      )}

      {(task.status === 'queued' || task.status === 'pending') && task.waitReason && (
        <p className="task-wait" data-testid="task-wait">
          {formatWaitReason(task.waitReason, now)}
        </p>
      )}

      {task.error && task.status !== 'completed' && (
        <p className="task-error" data-testid="task-error" data-class={task.errorClass ?? ''}>
          {task.errorClass && <span className="toast-code">{errorClassLabel(task.errorClass)}</span>} {task.error}
        </p>
      )}

      {result && result.commits.length > 0 && (
        <ul className="task-commits" data-testid="task-commits">
          {result.commits.map((c) => (
            <li key={c.sha} data-testid="task-commit" data-sha={c.sha}>
              <code>{c.sha.slice(0, 8)}</code> {c.subject}
            </li>
          ))}
        </ul>
      )}
      {result?.note && <p className="task-note muted">{result.note}</p>}

      <footer className="task-footer">
        <time className="muted" dateTime={task.createdAt} title={`created ${formatDateTime(task.createdAt)}`}>
          {formatRelative(task.createdAt, now)}
          {elapsed && task.status !== 'running' && ` · took ${elapsed}`}
        </time>
        <span className="top-bar-spacer" />
        {result?.prUrl && (
          <a className="task-link" href={result.prUrl} target="_blank" rel="noreferrer" data-testid="task-pr">
            PR{result.prNumber != null ? ` #${result.prNumber}` : ''}
          </a>
        )}
        {task.sandboxId && sandboxExists && (
          <button
            className="small-button"
            data-testid="task-terminals"
            title="The task sandbox's terminals"
            onClick={() => navigate({ view: 'terminals', sandboxFilter: task.sandboxId ?? null })}
          >
            Terminals
          </button>
        )}
        {task.runId && (
          <button className="small-button" data-testid="task-run-log" onClick={() => onDetails(task.id, 'run')}>
            Run log
          </button>
        )}
        <button className="small-button" data-testid="task-logs" onClick={() => onDetails(task.id, 'log')}>
          Log
        </button>
        {canMarkDone(task) && (
          <button className="small-button" data-testid="task-done" disabled={busy} onClick={() => void act(() => tasksApi.complete(task.id))}>
            Mark done
          </button>
        )}
        {isActive(task.status) && (
          <button className="small-button danger" data-testid="task-cancel" disabled={busy} onClick={() => setConfirming(true)}>
            Cancel
          </button>
        )}
      </footer>
      {confirming && (
        <ConfirmDialog
          title="Cancel task"
          message={`Cancel "${task.title}"? ${task.status === 'running' ? 'Its agent is stopped; the sandbox stays.' : 'It will not start.'}`}
          confirmLabel="Cancel task"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void act(() => tasksApi.cancel(task.id));
          }}
        />
      )}
    </article>
  );
}
