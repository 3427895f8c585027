import type { DiffLineView } from '../../shared/api/types';

/** One side of a side-by-side row; null when that side has no line (an added or deleted line). */
export interface SideCell {
  no: number | null;
  text: string;
  kind: 'context' | 'add' | 'delete';
}

export interface SplitRow {
  left: SideCell | null;
  right: SideCell | null;
}

function kindOf(line: DiffLineView): SideCell['kind'] {
  return line.kind === 'add' ? 'add' : line.kind === 'delete' ? 'delete' : 'context';
}

/**
 * Pairs a hunk's lines for the side-by-side view: context lines sit on both sides; a run of
 * deletions followed by a run of additions is paired row by row (a changed line shows old left,
 * new right), and the longer run's rest has an empty cell opposite it.
 */
export function splitRows(lines: readonly DiffLineView[]): SplitRow[] {
  const rows: SplitRow[] = [];
  let deletes: DiffLineView[] = [];
  let adds: DiffLineView[] = [];
  const flush = () => {
    const n = Math.max(deletes.length, adds.length);
    for (let i = 0; i < n; i++) {
      const d = deletes[i];
      const a = adds[i];
      rows.push({
        left: d ? { no: d.oldNo ?? null, text: d.text, kind: 'delete' } : null,
        right: a ? { no: a.newNo ?? null, text: a.text, kind: 'add' } : null,
      });
    }
    deletes = [];
    adds = [];
  };
  for (const line of lines) {
    const kind = kindOf(line);
    if (kind === 'delete') {
      // A deletion after additions starts a new change block.
      if (adds.length > 0) flush();
      deletes.push(line);
    } else if (kind === 'add') {
      adds.push(line);
    } else {
      flush();
      rows.push({
        left: { no: line.oldNo ?? null, text: line.text, kind: 'context' },
        right: { no: line.newNo ?? null, text: line.text, kind: 'context' },
      });
    }
  }
  flush();
  return rows;
}

/** The sign column of the unified view. */
export function linePrefix(kind: string): string {
  return kind === 'add' ? '+' : kind === 'delete' ? '-' : ' ';
}

/** Status letter of a changed file, like `git status --short`. */
export function statusLetter(status: string): string {
  switch (status) {
    case 'added':
      return 'A';
    case 'deleted':
      return 'D';
    case 'renamed':
      return 'R';
    case 'copied':
      return 'C';
    case 'typechange':
      return 'T';
    default:
      return 'M';
  }
}
