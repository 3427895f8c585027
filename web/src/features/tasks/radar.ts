import type { Overlap, TaskView } from './taskTypes';

/** One conflict-radar warning: two branches of a project that change the same files. */
export interface RadarWarning {
  key: string;
  projectId: string;
  sandboxes: [string, string];
  branches: [string, string];
  files: string[];
  text: string;
}

/** "src/x.rs", "src/x.rs and src/y.rs", "a, b and c", "a, b, c and 4 more files". */
export function listFiles(files: readonly string[], shown = 3): string {
  if (files.length === 0) return 'the same files';
  if (files.length === 1) return files[0] ?? '';
  if (files.length <= shown) return `${files.slice(0, -1).join(', ')} and ${files[files.length - 1]}`;
  const rest = files.length - shown;
  return `${files.slice(0, shown).join(', ')} and ${rest} more file${rest === 1 ? '' : 's'}`;
}

/** "feature/a and feature/b both change src/x.rs". */
export function describeOverlap(o: Pick<Overlap, 'branches' | 'files'>): string {
  const [a = '?', b = '?'] = o.branches;
  return `${a} and ${b} both change ${listFiles(o.files)}`;
}

/**
 * Warnings of the latest radar results (by project), optionally of one project, in a stable
 * order (project, then branch pair).
 */
export function radarWarnings(radar: ReadonlyMap<string, readonly Overlap[]>, projectId: string | null = null): RadarWarning[] {
  const out: RadarWarning[] = [];
  for (const [project, overlaps] of radar) {
    if (projectId !== null && project !== projectId) continue;
    for (const o of overlaps) {
      const sandboxes: [string, string] = [o.sandboxes[0] ?? '', o.sandboxes[1] ?? ''];
      const branches: [string, string] = [o.branches[0] ?? '', o.branches[1] ?? ''];
      out.push({
        key: `${project}|${sandboxes.join('|')}`,
        projectId: project,
        sandboxes,
        branches,
        files: [...o.files],
        text: describeOverlap(o),
      });
    }
  }
  return out.sort((a, b) => a.projectId.localeCompare(b.projectId) || a.branches.join(' ').localeCompare(b.branches.join(' ')));
}

/** Radar results (`GET /api/radar`, a flat list) grouped by project. */
export function groupOverlaps(list: readonly Overlap[]): Map<string, Overlap[]> {
  const map = new Map<string, Overlap[]>();
  for (const o of list) map.set(o.projectId, [...(map.get(o.projectId) ?? []), o]);
  return map;
}

/** The task that owns each sandbox (a warning names the tasks behind its branches). */
export function tasksBySandbox(tasks: readonly TaskView[]): Map<string, TaskView> {
  const map = new Map<string, TaskView>();
  for (const t of tasks) if (t.sandboxId) map.set(t.sandboxId, t);
  return map;
}
