import { request } from '../../shared/api/client';
import type {
  CommitView,
  DiffPageView,
  FileContentView,
  FileDiffView,
  FilesView,
  PrDraftView,
  PushView,
  WorkStatusView,
} from '../../shared/api/types';

const item = (id: string) => `/api/sandboxes/${encodeURIComponent(id)}`;
const q = (path: string) => `path=${encodeURIComponent(path)}`;

/** A project sandbox's Git work; every Git command runs inside the sandbox, never on the host. */
export const gitApi = {
  status: (id: string) => request<WorkStatusView>(`${item(id)}/git/status`, { quiet: true }),
  diff: (id: string, offset: number, limit: number) => request<DiffPageView>(`${item(id)}/diff?offset=${offset}&limit=${limit}`, { quiet: true }),
  diffFile: (id: string, path: string) => request<FileDiffView>(`${item(id)}/diff/file?${q(path)}`, { quiet: true }),
  files: (id: string) => request<FilesView>(`${item(id)}/files`, { quiet: true }),
  file: (id: string, path: string) => request<FileContentView>(`${item(id)}/file?${q(path)}`, { quiet: true }),
  commit: (id: string, message: string) => request<CommitView>(`${item(id)}/commit`, { method: 'POST', body: { message }, quiet: true }),
  push: (id: string) => request<PushView>(`${item(id)}/push`, { method: 'POST' }),
  prDraft: (id: string, base?: string) => request<PrDraftView>(`${item(id)}/pr-draft${base ? `?base=${encodeURIComponent(base)}` : ''}`, { quiet: true }),
};
