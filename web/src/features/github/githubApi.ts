import { request } from '../../shared/api/client';
import type { DeviceView, GithubAuthView, RepoView } from '../../shared/api/types';

export const githubApi = {
  auth: () => request<GithubAuthView>('/api/github/auth'),
  /** Quiet: the panel shows the error inline. The token is never sent back, only its prefix. */
  setToken: (token: string) => request<GithubAuthView>('/api/github/token', { method: 'POST', body: { token }, quiet: true }),
  disconnect: () => request<void>('/api/github/token', { method: 'DELETE' }),
  /** Starts the OAuth device flow: the user enters `userCode` at `verificationUri`. */
  startDevice: () => request<DeviceView>('/api/github/device', { method: 'POST', quiet: true }),
  repos: (page: number) => request<RepoView[]>(`/api/github/repos?page=${page}`, { quiet: true }),
};
