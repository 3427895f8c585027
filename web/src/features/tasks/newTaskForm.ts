import { validateBranchName as branchProblem } from '../../shared/git/branchName';
import type { CreateTaskRequest, TaskType } from './taskTypes';

/** The "New task" dialog's fields, as typed. */
export interface TaskForm {
  projectId: string;
  type: TaskType;
  title: string;
  prompt: string;
  baseBranch: string;
  targetBranch: string;
  autoPR: boolean;
  interactive: boolean;
  priority: string;
  /** Blank for the server's default (one hour); `90` (minutes), `30s`, `45m`, `2h`, `1h30m`. */
  timeout: string;
}

export type TaskFormErrors = Partial<Record<keyof TaskForm, string>>;

export function emptyTaskForm(projectId = '', baseBranch = ''): TaskForm {
  return {
    projectId,
    type: 'feature',
    title: '',
    prompt: '',
    baseBranch,
    targetBranch: '',
    autoPR: false,
    interactive: false,
    priority: '0',
    timeout: '',
  };
}

export const MIN_TIMEOUT_SECS = 10;
export const MAX_TIMEOUT_SECS = 7 * 86_400;
const MAX_PROMPT_BYTES = 100_000;

/**
 * A timeout as seconds: a bare number is minutes; otherwise `h`/`m`/`s` parts in that order
 * (`1h30m`, `45s`). null when it does not parse.
 */
export function parseTimeout(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 60);
  const m = /^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?$/.exec(t);
  if (!m || t === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** The request for the form, or the problems (the server checks the same rules again). */
export function buildTaskRequest(form: TaskForm): { request: CreateTaskRequest } | { errors: TaskFormErrors } {
  const errors: TaskFormErrors = {};
  if (form.projectId === '') errors.projectId = 'Pick a project.';
  const prompt = form.prompt.trim();
  if (prompt === '') errors.prompt = 'Say what the agent should do.';
  else if (new TextEncoder().encode(prompt).length > MAX_PROMPT_BYTES) errors.prompt = 'At most 100,000 bytes.';
  else if (prompt.includes('\0')) errors.prompt = 'It cannot contain NUL characters.';

  const base = form.baseBranch.trim();
  const target = form.targetBranch.trim();
  if (base !== '') {
    const problem = branchProblem(base);
    if (problem) errors.baseBranch = problem;
  }
  if (target !== '') {
    const problem = branchProblem(target);
    if (problem) errors.targetBranch = problem;
    else if (target === base) errors.targetBranch = 'It must differ from the base branch.';
  }

  const priority = form.priority.trim() === '' ? 0 : Number(form.priority.trim());
  if (!Number.isInteger(priority) || priority < -100 || priority > 100) errors.priority = 'A whole number from -100 to 100.';

  let timeoutSecs: number | null = null;
  if (form.timeout.trim() !== '') {
    timeoutSecs = parseTimeout(form.timeout);
    if (timeoutSecs === null) errors.timeout = 'Minutes, or like 30s, 45m, 2h, 1h30m.';
    else if (timeoutSecs < MIN_TIMEOUT_SECS || timeoutSecs > MAX_TIMEOUT_SECS) errors.timeout = 'From 10 seconds to 7 days.';
  }

  if (Object.keys(errors).length > 0) return { errors };
  return {
    request: {
      projectId: form.projectId,
      type: form.type,
      title: form.title.trim() || null,
      prompt,
      baseBranch: base || null,
      targetBranch: target || null,
      autoPR: form.autoPR,
      interactive: form.interactive,
      priority,
      timeoutSecs,
    },
  };
}
