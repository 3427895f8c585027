import { request } from '../../shared/api/client';
import type { BranchView, CreateTaskRequest, Overlap, ProjectView, SchedulerLimits, SchedulerView, TaskLog, TaskView } from './taskTypes';

const item = (id: string) => `/api/tasks/${encodeURIComponent(id)}`;

export const tasksApi = {
  list: () => request<TaskView[]>('/api/tasks'),
  get: (id: string) => request<TaskView>(item(id)),
  /** Quiet: the dialog shows the error inline. */
  create: (body: CreateTaskRequest) => request<TaskView>('/api/tasks', { method: 'POST', body, quiet: true }),
  cancel: (id: string) => request<TaskView>(`${item(id)}/cancel`, { method: 'POST' }),
  /** An interactive task: the user says the work is done (then commit, push, PR). */
  complete: (id: string) => request<TaskView>(`${item(id)}/complete`, { method: 'POST' }),
  logs: (id: string) => request<TaskLog[]>(`${item(id)}/logs`),
  scheduler: () => request<SchedulerView>('/api/scheduler'),
  /** Quiet: the scheduler bar shows the error inline. */
  setLimits: (limits: SchedulerLimits) => request<SchedulerView>('/api/scheduler', { method: 'PUT', body: limits, quiet: true }),
  /** The conflict radar's latest results; `refresh` scans the live sandboxes first. */
  radar: (refresh = false, projectId: string | null = null) => {
    const q = new URLSearchParams();
    if (projectId) q.set('projectId', projectId);
    if (refresh) q.set('refresh', 'true');
    const qs = q.toString();
    return request<Overlap[]>(`/api/radar${qs ? `?${qs}` : ''}`);
  },
  /** Projects (the board names them; the dialog picks one). */
  projects: () => request<ProjectView[]>('/api/projects'),
  /** A project's branches (the base branch picker). */
  branches: (projectId: string) => request<BranchView[]>(`/api/projects/${encodeURIComponent(projectId)}/branches`),
};
