import { describe, expect, it } from 'vitest';
import { GAP_X, NODE_H, NODE_W, PAD, layoutGraph, stepLevels } from './graph';
import type { StepShape } from './workflowTypes';

const step = (id: string, dependsOn: string[] = [], type = 'shell_command'): StepShape => ({ id, type, dependsOn });
const levelsOf = (steps: StepShape[]) => Object.fromEntries(stepLevels(steps).levels);

describe('step levels', () => {
  it('places each step one column right of its deepest dependency (longest path)', () => {
    // a → b → c, and a → c directly: c is on level 2, not 1.
    expect(levelsOf([step('c', ['a', 'b']), step('b', ['a']), step('a')])).toEqual({ a: 0, b: 1, c: 2 });
  });

  it('lays out the spec example: setup, three parallel features, then the PRs', () => {
    const steps = [
      step('setup', [], 'git_operation'),
      step('feature-auth', ['setup'], 'claude_task'),
      step('feature-dashboard', ['setup'], 'claude_task'),
      step('feature-settings', ['setup'], 'claude_task'),
      step('create-prs', ['feature-auth', 'feature-dashboard', 'feature-settings'], 'git_operation'),
    ];
    expect(levelsOf(steps)).toEqual({ setup: 0, 'feature-auth': 1, 'feature-dashboard': 1, 'feature-settings': 1, 'create-prs': 2 });
    const layout = layoutGraph(steps);
    expect(layout.edges).toHaveLength(6);
    expect(layout.edges.every((e) => !e.back)).toBe(true);
    const rows = layout.nodes.filter((n) => n.level === 1).map((n) => n.row);
    expect(rows.sort()).toEqual([0, 1, 2]);
    expect(layout.width).toBe(PAD * 2 + 3 * NODE_W + 2 * GAP_X);
  });

  it('roots with no dependencies share level 0; independent chains do not interfere', () => {
    expect(levelsOf([step('a'), step('b'), step('c', ['b']), step('d', ['c'])])).toEqual({ a: 0, b: 0, c: 1, d: 2 });
  });

  it('ignores missing dependencies and duplicate ids instead of failing', () => {
    const { levels } = stepLevels([step('a', ['ghost']), step('b', ['a', 'a']), step('a', ['b'])]);
    expect(Object.fromEntries(levels)).toEqual({ a: 0, b: 1 });
    const layout = layoutGraph([step('a', ['ghost'])]);
    expect(layout.nodes[0]?.missing).toEqual(['ghost']);
    expect(layout.edges).toEqual([]);
  });

  it('survives cycles: every step gets a level, cycle members are flagged, back edges drawn', () => {
    const steps = [step('root'), step('x', ['root', 'z']), step('y', ['x']), step('z', ['y']), step('after', ['z'])];
    const { levels, cyclic } = stepLevels(steps);
    expect([...levels.keys()].sort()).toEqual(['after', 'root', 'x', 'y', 'z']);
    expect([...cyclic].sort()).toEqual(['after', 'x', 'y', 'z']);
    expect(levels.get('root')).toBe(0);
    expect(levels.get('x')).toBe(1);
    expect(levels.get('y')).toBe(2);
    expect(levels.get('z')).toBe(3);
    expect(levels.get('after')).toBe(4);
    const layout = layoutGraph(steps);
    const back = layout.edges.filter((e) => e.back).map((e) => `${e.from}->${e.to}`);
    expect(back).toEqual(['z->x']);
    expect(layout.nodes.find((n) => n.id === 'x')?.cyclic).toBe(true);
  });

  it('survives a self-loop and a cycle with no root at all', () => {
    expect(levelsOf([step('a', ['a'])])).toEqual({ a: 0 });
    expect(levelsOf([step('a', ['b']), step('b', ['a'])])).toEqual({ a: 0, b: 1 });
    const layout = layoutGraph([step('a', ['a'])]);
    expect(layout.edges).toHaveLength(1);
    expect(layout.edges[0]?.back).toBe(true);
    expect(layout.edges[0]?.path).not.toContain('NaN');
  });

  it('handles big graphs without blowing up (a 200-step chain plus a full fan-in)', () => {
    const chain = Array.from({ length: 200 }, (_, i) => step(`s${i}`, i === 0 ? [] : [`s${i - 1}`]));
    const fan = step('end', chain.map((s) => s.id));
    const { levels } = stepLevels([fan, ...chain]);
    expect(levels.get('s199')).toBe(199);
    expect(levels.get('end')).toBe(200);
  });
});

describe('graph layout', () => {
  it('gives boxes that never overlap and edges from the right side to the left side', () => {
    const steps = [step('a'), step('b', ['a']), step('c', ['a']), step('d', ['b', 'c']), step('e')];
    const layout = layoutGraph(steps);
    const boxes = layout.nodes.map((n) => ({ ...n, right: n.x + NODE_W, bottom: n.y + NODE_H }));
    for (const p of boxes) {
      for (const q of boxes) {
        if (p.id >= q.id) continue;
        const apart = p.right <= q.x || q.right <= p.x || p.bottom <= q.y || q.bottom <= p.y;
        expect(apart, `${p.id} and ${q.id} overlap`).toBe(true);
      }
      expect(p.right).toBeLessThanOrEqual(layout.width);
      expect(p.bottom).toBeLessThanOrEqual(layout.height);
    }
    const ab = layout.edges.find((e) => e.from === 'a' && e.to === 'b');
    const a = layout.nodes.find((n) => n.id === 'a');
    const b = layout.nodes.find((n) => n.id === 'b');
    expect(ab?.path.startsWith(`M ${(a?.x ?? 0) + NODE_W} ${(a?.y ?? 0) + NODE_H / 2} `)).toBe(true);
    expect(ab?.path.endsWith(` ${b?.x} ${(b?.y ?? 0) + NODE_H / 2}`)).toBe(true);
  });

  it('orders a column by where its dependencies are (fewer crossings)', () => {
    // p0 and p1 are roots; c1 depends on p1, c0 on p0, listed in the opposite order.
    const layout = layoutGraph([step('p0'), step('p1'), step('c1', ['p1']), step('c0', ['p0'])]);
    const row = (id: string) => layout.nodes.find((n) => n.id === id)?.row;
    expect(row('c0')).toBe(row('p0'));
    expect(row('c1')).toBe(row('p1'));
  });

  it('draws nothing for no steps', () => {
    const layout = layoutGraph([]);
    expect(layout.nodes).toEqual([]);
    expect(layout.edges).toEqual([]);
    expect(layout.width).toBeGreaterThan(0);
  });
});
