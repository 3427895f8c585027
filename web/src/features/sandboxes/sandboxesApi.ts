import { request } from '../../shared/api/client';
import type { CreateSandboxRequest, ExecRequest, ExecResponse, SandboxView } from '../../shared/api/types';

const base = '/api/sandboxes';
const item = (id: string) => `${base}/${encodeURIComponent(id)}`;

export const sandboxesApi = {
  list: (signal?: AbortSignal) => request<SandboxView[]>(base, { signal }),
  get: (id: string) => request<SandboxView>(item(id)),
  /** Quiet: the New sandbox dialog shows the error inline. */
  create: (body: CreateSandboxRequest) => request<SandboxView>(base, { method: 'POST', body, quiet: true }),
  start: (id: string) => request<SandboxView>(`${item(id)}/start`, { method: 'POST' }),
  stop: (id: string) => request<SandboxView>(`${item(id)}/stop`, { method: 'POST' }),
  remove: (id: string) => request<void>(item(id), { method: 'DELETE' }),
  exec: (id: string, body: ExecRequest) => request<ExecResponse>(`${item(id)}/exec`, { method: 'POST', body }),
};
