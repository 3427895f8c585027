import { request } from '../../shared/api/client';
import type {
  BranchView,
  CreateBranchRequest,
  CreatePrRequest,
  ImportRequestBody,
  MergeRequestBody,
  ProjectDetailView,
  ProjectView,
  PullView,
} from '../../shared/api/types';

const item = (id: string) => `/api/projects/${encodeURIComponent(id)}`;
const pulls = '/api/github/pull-requests';

export const projectsApi = {
  list: () => request<ProjectView[]>('/api/projects'),
  get: (id: string) => request<ProjectDetailView>(item(id)),
  /** Quiet: the import form shows the error inline. Resolves once the mirror is cloned. */
  import: (body: ImportRequestBody) => request<ProjectView>('/api/github/import', { method: 'POST', body, quiet: true }),
  remove: (id: string) => request<void>(item(id), { method: 'DELETE' }),
  branches: (id: string, refresh = false) => request<BranchView[]>(`${item(id)}/branches${refresh ? '?refresh=true' : ''}`),
  createBranch: (id: string, body: CreateBranchRequest) => request<BranchView>(`${item(id)}/branches`, { method: 'POST', body }),
};

export const pullsApi = {
  list: (projectId?: string) => request<PullView[]>(projectId ? `${pulls}?projectId=${encodeURIComponent(projectId)}` : pulls),
  /** Re-reads the PR from the forge (state, checks) and recomputes its conflicts. */
  refresh: (projectId: string, number: number) => request<PullView>(`${pulls}/${number}?projectId=${encodeURIComponent(projectId)}`),
  /** Quiet: the Create PR dialog shows the error inline. */
  create: (body: CreatePrRequest) => request<PullView>(pulls, { method: 'POST', body, quiet: true }),
  /** Quiet: the merge dialog shows the error inline (`rejected` when it conflicts). */
  merge: (number: number, body: MergeRequestBody) => request<PullView>(`${pulls}/${number}/merge`, { method: 'POST', body, quiet: true }),
};
