import { useState } from 'react';
import { formatDateTime } from '../../shared/time';
import { formatElapsed, formatUntil } from '../tasks/timeText';
import { forgetApproval } from './approvalsStore';
import { runIsActive, stepSummary } from './problems';
import { workflowsApi } from './workflowsApi';
import { type WorkflowRunStep, type WorkflowRunView, triggerLabel } from './workflowTypes';

interface RunDetailProps {
  run: WorkflowRunView;
  now: number;
  onChanged: (run: WorkflowRunView | null) => void;
  onOpenTask: (taskId: string) => void;
}

function outputText(output: unknown): string | null {
  if (output == null) return null;
  if (typeof output === 'string') return output;
  const json = JSON.stringify(output);
  return json === '{}' || json === '[]' ? null : json;
}

/** One run: its status, each step's state, the tasks it started, and cancel. */
export function RunDetail({ run, now, onChanged, onOpenTask }: RunDetailProps) {
  const [busy, setBusy] = useState(false);
  const cancel = async () => {
    setBusy(true);
    try {
      onChanged(await workflowsApi.cancelRun(run.id));
    } catch {
      // shown as a toast by the API client
    } finally {
      setBusy(false);
    }
  };
  const answer = async (step: WorkflowRunStep, approve: boolean) => {
    setBusy(true);
    try {
      const next = await (approve ? workflowsApi.approve(run.id, step.stepId) : workflowsApi.reject(run.id, step.stepId));
      forgetApproval(run.id, step.stepId);
      onChanged(next);
    } catch {
      // shown as a toast by the API client
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="wf-run" data-testid="workflow-run-detail" data-run={run.id} data-status={run.status}>
      <header className="wf-run-header">
        <span className={`wf-badge wf-status-${run.status}`} data-testid="workflow-run-status">
          {run.status}
        </span>
        <span>
          run <code>{run.id.slice(0, 8)}</code> · {triggerLabel(run.trigger)} · started {formatDateTime(run.createdAt)}
          {run.finishedAt ? ` · took ${formatElapsed(run.createdAt, run.finishedAt, now) ?? ''}` : ` · ${formatElapsed(run.createdAt, null, now) ?? ''} so far`}
        </span>
        <span className="muted">{stepSummary(run)}</span>
        <span className="top-bar-spacer" />
        {runIsActive(run.status) && (
          <button className="small-button danger" data-testid="workflow-run-cancel" disabled={busy} onClick={() => void cancel()}>
            Cancel run
          </button>
        )}
      </header>
      {run.error && (
        <p className="form-error" data-testid="workflow-run-error">
          {run.error}
        </p>
      )}
      <table className="wf-steps-table">
        <thead>
          <tr>
            <th>step</th>
            <th>type</th>
            <th>status</th>
            <th>time</th>
            <th>details</th>
          </tr>
        </thead>
        <tbody>
          {run.steps.map((s) => {
            const output = outputText(s.output);
            return (
              <tr key={s.stepId} data-testid={`run-step-${s.stepId}`} data-status={s.status}>
                <td>
                  <code>{s.stepId}</code>
                  {s.name && s.name !== s.stepId && <div className="muted">{s.name}</div>}
                </td>
                <td>{s.type}</td>
                <td>
                  <span className={`wf-badge wf-status-${s.status}`}>{s.status}</span>
                </td>
                <td className="muted">
                  {s.startedAt ? formatElapsed(s.startedAt, s.finishedAt, now) : ''}
                  {s.status === 'waiting' && s.waitUntil ? ` until ${formatUntil(s.waitUntil, now)}` : ''}
                </td>
                <td className="wf-step-details">
                  {s.taskId && (
                    <button className="link-button" data-testid={`run-step-task-${s.stepId}`} onClick={() => onOpenTask(s.taskId ?? '')}>
                      task {s.taskId.slice(0, 8)}
                    </button>
                  )}
                  {s.error && <span className="wf-step-error">{s.error}</span>}
                  {output && (
                    <code className="wf-step-output" title={output}>
                      {output.length > 200 ? `${output.slice(0, 200)}…` : output}
                    </code>
                  )}
                  {s.type === 'approval' && s.status === 'waiting' && (
                    <span className="wf-approval-actions">
                      <button className="small-button" data-testid={`run-step-approve-${s.stepId}`} disabled={busy} onClick={() => void answer(s, true)}>
                        Approve
                      </button>
                      <button className="small-button danger" data-testid={`run-step-reject-${s.stepId}`} disabled={busy} onClick={() => void answer(s, false)}>
                        Reject
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
