import { ApiError } from '../../shared/api/errors';
import type { StepShape, ValidationProblem, WorkflowRunStep, WorkflowRunView } from './workflowTypes';

/** "line 3, column 5", "line 3", or null when the problem has no position. */
export function problemWhere(p: Pick<ValidationProblem, 'line' | 'column'>): string | null {
  if (p.line == null || p.line < 1) return null;
  return p.column != null && p.column >= 1 ? `line ${p.line}, column ${p.column}` : `line ${p.line}`;
}

/** Problems by the step ids they name (a problem about two steps is under both). */
export function problemsByStep(problems: readonly ValidationProblem[]): Map<string, ValidationProblem[]> {
  const map = new Map<string, ValidationProblem[]>();
  for (const p of problems) for (const id of new Set(p.stepIds ?? [])) map.set(id, [...(map.get(id) ?? []), p]);
  return map;
}

/** Problems first by position (the ones without one last), then by code. */
export function sortProblems(problems: readonly ValidationProblem[]): ValidationProblem[] {
  const line = (p: ValidationProblem) => (p.line != null && p.line >= 1 ? p.line : Number.MAX_SAFE_INTEGER);
  return [...problems].sort((a, b) => line(a) - line(b) || (a.column ?? 0) - (b.column ?? 0) || a.code.localeCompare(b.code));
}

function isProblem(v: unknown): v is ValidationProblem {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.code === 'string' && typeof p.message === 'string';
}

/** The problems a refused save carries in `error.details.problems` (empty if none). */
export function problemsOf(error: unknown): ValidationProblem[] {
  if (!(error instanceof ApiError)) return [];
  const details = error.details;
  if (typeof details !== 'object' || details === null) return [];
  const list = (details as { problems?: unknown }).problems;
  if (!Array.isArray(list)) return [];
  return list.filter(isProblem).map((p) => ({ ...p, stepIds: Array.isArray(p.stepIds) ? p.stepIds.filter((s) => typeof s === 'string') : [] }));
}

/** The steps of a run, as the graph draws them. */
export function runShapes(run: Pick<WorkflowRunView, 'steps'>): StepShape[] {
  return run.steps.map((s) => ({ id: s.stepId, name: s.name ?? null, type: s.type, dependsOn: s.dependsOn ?? [] }));
}

export function stepStates(run: Pick<WorkflowRunView, 'steps'> | null): Map<string, WorkflowRunStep> {
  return new Map((run?.steps ?? []).map((s) => [s.stepId, s]));
}

/** A run that can still be cancelled. */
export function runIsActive(status: string): boolean {
  return status === 'running' || status === 'pending' || status === 'queued';
}

/** Counts of the steps by status, e.g. "2 succeeded · 1 running · 3 pending". */
export function stepSummary(run: Pick<WorkflowRunView, 'steps'>): string {
  const counts = new Map<string, number>();
  for (const s of run.steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const order = ['succeeded', 'running', 'waiting', 'pending', 'failed', 'skipped', 'cancelled'];
  return [...counts]
    .sort(([a], [b]) => (order.indexOf(a) >>> 0) - (order.indexOf(b) >>> 0))
    .map(([status, n]) => `${n} ${status}`)
    .join(' · ');
}

/** The character offset of 1-based `line` and `column` in `text` (clamped to the text). */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const end = text.indexOf('\n', offset);
  const lineEnd = end < 0 ? text.length : end;
  return Math.min(offset + Math.max(0, column - 1), lineEnd);
}
