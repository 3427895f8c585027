import { request } from '../../shared/api/client';
import type { RunDetail, RunView, StartRunRequest } from '../../shared/api/types';

export const runsApi = {
  list: () => request<RunView[]>('/api/runs'),
  get: (id: string) => request<RunDetail>(`/api/runs/${encodeURIComponent(id)}`),
  /** Quiet: the form shows the error inline. */
  start: (sandboxId: string, body: StartRunRequest) =>
    request<RunView>(`/api/sandboxes/${encodeURIComponent(sandboxId)}/runs`, { method: 'POST', body, quiet: true }),
};
