import { request } from '../../shared/api/client';
import type {
  ApprovalView,
  CreateWorkflowRequest,
  UpdateWorkflowRequest,
  ValidationView,
  WorkflowDetailView,
  WorkflowRunView,
  WorkflowView,
} from './workflowTypes';

const item = (id: string) => `/api/workflows/${encodeURIComponent(id)}`;
const run = (id: string) => `/api/workflow-runs/${encodeURIComponent(id)}`;

export const workflowsApi = {
  list: () => request<WorkflowView[]>('/api/workflows'),
  get: (id: string) => request<WorkflowDetailView>(item(id)),
  /** Quiet: the editor shows the problems inline (`error.details.problems`). */
  create: (body: CreateWorkflowRequest) => request<WorkflowView>('/api/workflows', { method: 'POST', body, quiet: true }),
  update: (id: string, body: UpdateWorkflowRequest) => request<WorkflowView>(item(id), { method: 'PUT', body, quiet: true }),
  remove: (id: string) => request<void>(item(id), { method: 'DELETE' }),
  /** The editor's live check; quiet and abortable (a newer keystroke supersedes it). */
  validate: (definition: string, signal?: AbortSignal) =>
    request<ValidationView>('/api/workflows/validate', { method: 'POST', body: { definition }, quiet: true, signal }),
  run: (id: string) => request<WorkflowRunView>(`${item(id)}/run`, { method: 'POST' }),
  runs: (id: string) => request<WorkflowRunView[]>(`${item(id)}/runs`),
  getRun: (id: string) => request<WorkflowRunView>(run(id)),
  cancelRun: (id: string) => request<WorkflowRunView>(`${run(id)}/cancel`, { method: 'POST' }),
  /** Quiet: polled on every (re)connect; a failure just shows no approvals. */
  approvals: () => request<ApprovalView[]>('/api/approvals', { quiet: true }),
  approve: (runId: string, stepId: string, comment?: string) =>
    request<WorkflowRunView>(`${run(runId)}/steps/${encodeURIComponent(stepId)}/approve`, { method: 'POST', body: comment ? { comment } : {} }),
  reject: (runId: string, stepId: string, comment?: string) =>
    request<WorkflowRunView>(`${run(runId)}/steps/${encodeURIComponent(stepId)}/reject`, { method: 'POST', body: comment ? { comment } : {} }),
};
