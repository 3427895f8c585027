import type { StepShape } from './workflowTypes';

/** Node box and spacing of the step graph, in SVG user units. */
export const NODE_W = 176;
export const NODE_H = 48;
export const GAP_X = 60;
export const GAP_Y = 18;
export const PAD = 10;

export interface GraphNode {
  id: string;
  name: string | null;
  type: string;
  /** Column: the longest dependency path from a root. */
  level: number;
  /** Position inside the column. */
  row: number;
  x: number;
  y: number;
  /** Dependencies that name no step (drawn as a warning on the node). */
  missing: string[];
  /** On a dependency cycle, or after one (its level is a best effort). */
  cyclic: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** SVG path data. */
  path: string;
  /** Goes backwards or sideways (a cycle): drawn differently. */
  back: boolean;
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

interface Levels {
  levels: Map<string, number>;
  /** Steps Kahn's algorithm could not order: on a cycle or depending on one. */
  cyclic: Set<string>;
  /** Unique, existing dependencies of each step (input order). */
  deps: Map<string, string[]>;
  /** Steps by id, the first of duplicated ids winning, in input order. */
  order: StepShape[];
}

/**
 * Levels by longest path from the roots (a step sits one column right of its deepest
 * dependency). Never loops: steps on a cycle (or after one) are placed after the dependencies
 * that could be ordered, in input order; missing dependencies and duplicate ids are ignored.
 */
export function stepLevels(steps: readonly StepShape[]): Levels {
  const order: StepShape[] = [];
  const byId = new Map<string, StepShape>();
  for (const s of steps) {
    if (!byId.has(s.id)) {
      byId.set(s.id, s);
      order.push(s);
    }
  }
  const deps = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  const indegree = new Map<string, number>();
  for (const s of order) {
    const ds = [...new Set(s.dependsOn ?? [])].filter((d) => byId.has(d));
    deps.set(s.id, ds);
    indegree.set(s.id, ds.length);
    for (const d of ds) children.set(d, [...(children.get(d) ?? []), s.id]);
  }

  const levels = new Map<string, number>();
  const queue = order.filter((s) => indegree.get(s.id) === 0).map((s) => s.id);
  for (const id of queue) levels.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    const level = levels.get(id) ?? 0;
    for (const child of children.get(id) ?? []) {
      levels.set(child, Math.max(levels.get(child) ?? 0, level + 1));
      const left = (indegree.get(child) ?? 0) - 1;
      indegree.set(child, left);
      if (left === 0) queue.push(child);
    }
  }

  const cyclic = new Set<string>();
  for (const s of order) {
    if ((indegree.get(s.id) ?? 0) > 0) cyclic.add(s.id);
  }
  // One pass, input order: each unordered step goes right of whatever of its dependencies
  // already has its final place (the ordered ones, and unordered ones placed earlier).
  const placed = new Set(order.filter((s) => !cyclic.has(s.id)).map((s) => s.id));
  for (const s of order) {
    if (!cyclic.has(s.id)) continue;
    let level = 0;
    for (const d of deps.get(s.id) ?? []) {
      if (placed.has(d)) level = Math.max(level, (levels.get(d) ?? 0) + 1);
    }
    levels.set(s.id, level);
    placed.add(s.id);
  }
  return { levels, cyclic, deps, order };
}

/** Lays the steps out left to right by level, drawing an edge from each dependency. */
export function layoutGraph(steps: readonly StepShape[]): GraphLayout {
  const { levels, cyclic, deps, order } = stepLevels(steps);
  const known = new Set(order.map((s) => s.id));

  const columns: StepShape[][] = [];
  for (const s of order) {
    const level = levels.get(s.id) ?? 0;
    (columns[level] ??= []).push(s);
  }
  // Rows: each column ordered by the mean row of its dependencies (fewer crossings), then input order.
  const rows = new Map<string, number>();
  const index = new Map(order.map((s, i) => [s.id, i]));
  columns.forEach((column) => {
    const keyed = column.map((s) => {
      const placed = (deps.get(s.id) ?? []).map((d) => rows.get(d)).filter((r): r is number => r !== undefined);
      const mean = placed.length ? placed.reduce((a, b) => a + b, 0) / placed.length : Number.POSITIVE_INFINITY;
      return { s, mean };
    });
    keyed.sort((a, b) => (a.mean === b.mean ? 0 : a.mean - b.mean) || (index.get(a.s.id) ?? 0) - (index.get(b.s.id) ?? 0));
    keyed.forEach(({ s }, row) => rows.set(s.id, row));
  });

  const tallest = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  const nodes: GraphNode[] = order.map((s) => {
    const level = levels.get(s.id) ?? 0;
    const row = rows.get(s.id) ?? 0;
    const count = columns[level]?.length ?? 1;
    return {
      id: s.id,
      name: s.name ?? null,
      type: s.type,
      level,
      row,
      x: PAD + level * (NODE_W + GAP_X),
      y: PAD + (row + (tallest - count) / 2) * (NODE_H + GAP_Y),
      missing: [...new Set(s.dependsOn ?? [])].filter((d) => !known.has(d)),
      cyclic: cyclic.has(s.id),
    };
  });

  const at = new Map(nodes.map((n) => [n.id, n]));
  const edges: GraphEdge[] = [];
  for (const n of nodes) {
    for (const d of deps.get(n.id) ?? []) {
      const from = at.get(d);
      if (!from) continue;
      edges.push(edgeBetween(from, n));
    }
  }
  const levelsUsed = Math.max(1, columns.length);
  return {
    nodes,
    edges,
    width: PAD * 2 + levelsUsed * NODE_W + (levelsUsed - 1) * GAP_X,
    height: PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y,
  };
}

function edgeBetween(from: GraphNode, to: GraphNode): GraphEdge {
  if (from.level < to.level) {
    const x1 = from.x + NODE_W;
    const y1 = from.y + NODE_H / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_H / 2;
    const dx = (x2 - x1) / 2;
    return { from: from.id, to: to.id, path: `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`, back: false };
  }
  // Backwards, same column, or a self-loop: an arc over the top of the boxes.
  const x1 = from.x + NODE_W / 2 + (from.id === to.id ? -20 : 0);
  const x2 = to.x + NODE_W / 2 + (from.id === to.id ? 20 : 0);
  const y1 = from.y;
  const y2 = to.y;
  const lift = Math.min(y1, y2) - Math.max(0, PAD - 2) - 8;
  return { from: from.id, to: to.id, path: `M ${x1} ${y1} C ${x1} ${lift}, ${x2} ${lift}, ${x2} ${y2}`, back: true };
}
