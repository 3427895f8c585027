import { describe, expect, it } from 'vitest';
import { describeOverlap, groupOverlaps, listFiles, radarWarnings, tasksBySandbox } from './radar';
import { testTask } from './testTask';

const overlap = (projectId: string, a: string, b: string, files: string[]) => ({
  projectId,
  sandboxes: [`sb-${a}`, `sb-${b}`],
  branches: [a, b],
  files,
});

describe('conflict radar', () => {
  it('lists files readably', () => {
    expect(listFiles([])).toBe('the same files');
    expect(listFiles(['src/x.rs'])).toBe('src/x.rs');
    expect(listFiles(['a', 'b'])).toBe('a and b');
    expect(listFiles(['a', 'b', 'c'])).toBe('a, b and c');
    expect(listFiles(['a', 'b', 'c', 'd'])).toBe('a, b, c and 1 more file');
    expect(listFiles(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more files');
  });

  it('says which branches change which files', () => {
    expect(describeOverlap({ branches: ['feature/a', 'feature/b'], files: ['src/x.rs'] })).toBe('feature/a and feature/b both change src/x.rs');
  });

  it('builds warnings from the radar by project, optionally of one project, in a stable order', () => {
    const radar = groupOverlaps([overlap('p2', 'z', 'y', ['README.md']), overlap('p1', 'feature/b', 'feature/c', ['a.rs']), overlap('p1', 'feature/a', 'feature/b', ['src/x.rs', 'src/y.rs'])]);
    expect([...radar.keys()].sort()).toEqual(['p1', 'p2']);
    const all = radarWarnings(radar);
    expect(all.map((w) => w.text)).toEqual([
      'feature/a and feature/b both change src/x.rs and src/y.rs',
      'feature/b and feature/c both change a.rs',
      'z and y both change README.md',
    ]);
    expect(all[0]?.sandboxes).toEqual(['sb-feature/a', 'sb-feature/b']);
    expect(radarWarnings(radar, 'p2').map((w) => w.projectId)).toEqual(['p2']);
    // A radar event with no overlaps clears that project's warnings.
    expect(radarWarnings(new Map([...radar, ['p1', []]]))).toHaveLength(1);
  });

  it('knows which task owns each sandbox', () => {
    const map = tasksBySandbox([testTask({ id: 'a', sandboxId: 's1' }), testTask({ id: 'b' })]);
    expect([...map.keys()]).toEqual(['s1']);
    expect(map.get('s1')?.id).toBe('a');
  });
});
