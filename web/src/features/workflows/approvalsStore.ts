import { Store, useStore } from '../../shared/store';
import { workflowsApi } from './workflowsApi';
import type { ApprovalView } from './workflowTypes';

/** Approval steps waiting for a person; null until the first list arrived. */
export const approvalsStore = new Store<ApprovalView[] | null>(null);

export function useApprovals(): ApprovalView[] | null {
  return useStore(approvalsStore);
}

export const approvalKey = (a: Pick<ApprovalView, 'runId' | 'stepId'>) => `${a.runId}|${a.stepId}`;

let generation = 0;

export async function refreshApprovals(): Promise<void> {
  const mine = ++generation;
  try {
    const list = await workflowsApi.approvals();
    if (mine === generation) approvalsStore.set(list);
  } catch {
    // A server without workflows (404) or offline: no approvals to show.
    if (mine === generation && approvalsStore.get() === null) approvalsStore.set([]);
  }
}

const DEBOUNCE_MS = 200;
let timer: ReturnType<typeof setTimeout> | null = null;

/** Re-list soon; a burst of `workflow_run` events causes one request. */
export function scheduleApprovalsRefresh(): void {
  if (timer !== null) return;
  timer = setTimeout(() => {
    timer = null;
    void refreshApprovals();
  }, DEBOUNCE_MS);
}

/** Drops an answered approval at once (the next list confirms). */
export function forgetApproval(runId: string, stepId: string): void {
  approvalsStore.update((list) => list?.filter((a) => approvalKey(a) !== approvalKey({ runId, stepId })) ?? null);
}
