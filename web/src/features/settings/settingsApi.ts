import { request } from '../../shared/api/client';
import type { AddCredentialRequest, CredentialInfo, CredentialStatus, UsageRow } from '../../shared/api/types';

export const credentialsApi = {
  status: () => request<CredentialStatus>('/api/credentials/status'),
  /** Quiet: the form shows the error inline. The value is never sent back, only its prefix. */
  add: (body: AddCredentialRequest) => request<CredentialInfo>('/api/credentials', { method: 'POST', body, quiet: true }),
  remove: (id: string) => request<void>(`/api/credentials/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};

export const usageApi = {
  list: () => request<UsageRow[]>('/api/usage'),
};
