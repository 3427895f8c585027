import type { TaskView } from './taskTypes';

/** The board's columns, one per task state (`pending` shows with `queued`). */
export type Column = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export const COLUMNS: readonly { id: Column; title: string }[] = [
  { id: 'queued', title: 'Queued' },
  { id: 'running', title: 'Running' },
  { id: 'completed', title: 'Completed' },
  { id: 'failed', title: 'Failed' },
  { id: 'cancelled', title: 'Cancelled' },
];

/** The column of a status; null for one this UI does not know (a newer server). */
export function columnOf(status: string): Column | null {
  switch (status) {
    case 'pending':
    case 'queued':
      return 'queued';
    case 'running':
    case 'completed':
    case 'failed':
    case 'cancelled':
      return status;
    default:
      return null;
  }
}

const time = (iso: string | null | undefined): number => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : 0;
};

/**
 * The order inside a column. Queued: the order the scheduler starts them (priority, then first
 * come); running: longest running first; finished: most recently finished first.
 */
function compare(column: Column): (a: TaskView, b: TaskView) => number {
  switch (column) {
    case 'queued':
      return (a, b) => b.priority - a.priority || time(a.createdAt) - time(b.createdAt) || a.id.localeCompare(b.id);
    case 'running':
      return (a, b) => time(a.startedAt ?? a.createdAt) - time(b.startedAt ?? b.createdAt) || a.id.localeCompare(b.id);
    default:
      return (a, b) => time(b.finishedAt ?? b.createdAt) - time(a.finishedAt ?? a.createdAt) || b.id.localeCompare(a.id);
  }
}

export type Board = Record<Column, TaskView[]>;

/** Tasks by column, each column sorted; `projectId` keeps only that project's tasks. */
export function groupTasks(tasks: readonly TaskView[], projectId: string | null = null): Board {
  const board: Board = { queued: [], running: [], completed: [], failed: [], cancelled: [] };
  for (const t of tasks) {
    if (projectId !== null && t.projectId !== projectId) continue;
    const column = columnOf(t.status);
    if (column) board[column].push(t);
  }
  for (const { id } of COLUMNS) board[id].sort(compare(id));
  return board;
}

/** A task that can still be cancelled. */
export function isActive(status: string): boolean {
  return status === 'pending' || status === 'queued' || status === 'running';
}

const PHASES: Record<string, string> = {
  sandbox: 'creating the sandbox',
  setup: 'running the setup',
  claude: 'Claude is working',
  waiting_for_user: 'waiting for you',
  commit: 'committing',
  push: 'pushing',
  pr: 'opening the pull request',
};

export function phaseLabel(phase: string | null | undefined): string | null {
  if (!phase) return null;
  return PHASES[phase] ?? phase.replace(/_/g, ' ');
}

/** Progress as a whole percentage in 0..=100 (whatever the server sent). */
export function clampProgress(progress: number): number {
  if (!Number.isFinite(progress)) return 0;
  return Math.min(100, Math.max(0, Math.round(progress)));
}

const ERROR_CLASSES: Record<string, string> = {
  rate_limited: 'rate limited',
  model_unavailable: 'model unavailable',
  sandbox_lost: 'sandbox lost',
  timeout: 'timed out',
  setup_failed: 'setup failed',
  git: 'git',
  task_failed: 'task failed',
};

export function errorClassLabel(errorClass: string | null | undefined): string | null {
  if (!errorClass) return null;
  return ERROR_CLASSES[errorClass] ?? errorClass.replace(/_/g, ' ');
}

/**
 * "attempt 2/6" while running or finished; "next attempt 2/6" for a retry waiting in the queue;
 * null before the first attempt.
 */
export function attemptLabel(task: Pick<TaskView, 'attempt' | 'maxAttempts' | 'status'>): string | null {
  if (task.attempt < 1) return null;
  if (columnOf(task.status) === 'queued') return `next attempt ${task.attempt + 1}/${task.maxAttempts}`;
  return `attempt ${task.attempt}/${task.maxAttempts}`;
}

/** Interactive tasks whose Claude session is up: the user says when the work is done. */
export function canMarkDone(task: Pick<TaskView, 'mode' | 'status' | 'phase'>): boolean {
  return task.mode === 'interactive' && task.status === 'running' && task.phase === 'waiting_for_user';
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * Whether `next` may replace `current`: views arrive by two roads (REST answers and events) in
 * any order, so an older `updatedAt` never wins, and a finished task never goes back to a
 * running or queued view. At the same `updatedAt` (a wait reason does not move it) an event
 * wins, a REST answer (`strict`) does not: it may have been sent before the event.
 */
export function isNewer(current: Pick<TaskView, 'status' | 'updatedAt'>, next: Pick<TaskView, 'status' | 'updatedAt'>, strict = false): boolean {
  if (FINAL.has(current.status) && !FINAL.has(next.status)) return false;
  const a = Date.parse(current.updatedAt ?? '');
  const b = Date.parse(next.updatedAt ?? '');
  if (!Number.isFinite(a) || !Number.isFinite(b)) return true;
  return strict ? b > a : b >= a;
}

/** A newer view of a task replaces the older one (the list is keyed by id); stale ones are ignored. */
export function upsertTaskList(list: readonly TaskView[], view: TaskView, strict = false): TaskView[] {
  const i = list.findIndex((t) => t.id === view.id);
  if (i < 0) return [...list, view];
  const current = list[i];
  if (current && !isNewer(current, view, strict)) return list as TaskView[];
  const next = [...list];
  next[i] = view;
  return next;
}

/** 950, 1.2k, 12k, 3.4M. */
export function compactCount(n: number): string {
  if (!Number.isFinite(n) || n < 1000) return String(Math.max(0, Math.round(Number.isFinite(n) ? n : 0)));
  const [value, unit] = n < 1_000_000 ? [n / 1000, 'k'] : [n / 1_000_000, 'M'];
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)}${unit}`;
}

/** "1.2k tokens · 3 requests": what the task's model traffic cost (null before any). */
export function usageLabel(usage: TaskView['usage']): string | null {
  if (!usage || usage.requests === 0) return null;
  const tokens = usage.inputTokens + usage.outputTokens + usage.cacheCreationTokens + usage.cacheReadTokens;
  return `${compactCount(tokens)} tokens · ${usage.requests} request${usage.requests === 1 ? '' : 's'}`;
}
