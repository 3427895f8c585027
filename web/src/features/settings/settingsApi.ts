import { request } from '../../shared/api/client';
import type { AddCredentialRequest, ClaudeStatus, CredentialInfo, CredentialStatus, UsageRow } from '../../shared/api/types';

export const credentialsApi = {
  status: () => request<CredentialStatus>('/api/credentials/status'),
  /** Quiet: the form shows the error inline. The value is never sent back, only its prefix. */
  add: (body: AddCredentialRequest) => request<CredentialInfo>('/api/credentials', { method: 'POST', body, quiet: true }),
  remove: (id: string) => request<void>(`/api/credentials/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};

export const claudeApi = {
  /** The CLI version sandboxes run (image / host) and the default credential mode. */
  status: () => request<ClaudeStatus>('/api/claude/status'),
};

export const usageApi = {
  list: () => request<UsageRow[]>('/api/usage'),
};
