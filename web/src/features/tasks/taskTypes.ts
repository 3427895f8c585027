/**
 * REST types of tasks, the scheduler, the conflict radar and headless runs: aliases into the
 * generated `schema.d.ts` (never hand-edit it; change the Rust types and run `scripts/gen-api`).
 */
import type { components } from '../../shared/api/schema';

type Schemas = components['schemas'];

export type TaskView = Schemas['TaskView'];
export type TaskType = Schemas['TaskType'];
export type CreateTaskRequest = Schemas['CreateTaskRequest'];
export type TaskLog = Schemas['TaskLogView'];
export type SchedulerView = Schemas['SchedulerView'];
export type SchedulerLimits = Schemas['SchedulerLimitsView'];
export type Overlap = Schemas['OverlapView'];
export type ProjectView = Schemas['ProjectView'];
export type BranchView = Schemas['BranchView'];

/** What a finished task produced (`TaskView.result`, untyped in the schema). */
export interface TaskResult {
  branch: string | null;
  sandboxId: string | null;
  commits: { sha: string; subject: string }[];
  prUrl: string | null;
  prNumber: number | null;
  note: string | null;
}

export const TASK_TYPES: readonly TaskType[] = ['feature', 'bugfix', 'refactor', 'review', 'custom'];

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Reads `TaskView.result` defensively (it is free-form JSON on the wire). */
export function taskResult(task: Pick<TaskView, 'result'>): TaskResult | null {
  const raw: unknown = task.result;
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const commits = Array.isArray(r.commits)
    ? r.commits.flatMap((c: unknown) => {
        if (typeof c !== 'object' || c === null) return [];
        const { sha, subject } = c as Record<string, unknown>;
        return typeof sha === 'string' ? [{ sha, subject: typeof subject === 'string' ? subject : '' }] : [];
      })
    : [];
  return {
    branch: str(r.branch),
    sandboxId: str(r.sandboxId),
    commits,
    prUrl: str(r.prUrl),
    prNumber: typeof r.prNumber === 'number' ? r.prNumber : null,
    note: str(r.note),
  };
}
