import { scheduleApprovalsRefresh } from './approvalsStore';

const listeners = new Set<(runId: string) => void>();

/** A workflow run changed (`workflow_run` events carry only its id): open views re-read it. */
export function onWorkflowRun(listener: (runId: string) => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** Called for every `workflow_run` event: approvals may have appeared or been answered. */
export function workflowRunChanged(runId: string): void {
  scheduleApprovalsRefresh();
  listeners.forEach((l) => l(runId));
}
