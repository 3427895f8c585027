import { describe, expect, it } from 'vitest';
import type { DiffLineView } from '../../shared/api/types';
import { linePrefix, splitRows, statusLetter } from './diffRows';

const ctx = (o: number, n: number, text: string): DiffLineView => ({ kind: 'context', oldNo: o, newNo: n, text });
const del = (o: number, text: string): DiffLineView => ({ kind: 'delete', oldNo: o, newNo: null, text });
const add = (n: number, text: string): DiffLineView => ({ kind: 'add', oldNo: null, newNo: n, text });

/** `old | new` per row, `·` for an empty cell. */
const show = (lines: DiffLineView[]) =>
  splitRows(lines).map((r) => `${r.left ? `${r.left.no}${linePrefix(r.left.kind)}${r.left.text}` : '·'} | ${r.right ? `${r.right.no}${linePrefix(r.right.kind)}${r.right.text}` : '·'}`);

describe('splitRows', () => {
  it('puts context on both sides', () => {
    expect(show([ctx(1, 1, 'a'), ctx(2, 2, 'b')])).toEqual(['1 a | 1 a', '2 b | 2 b']);
  });
  it('pairs a changed line old-left, new-right', () => {
    expect(show([ctx(1, 1, 'a'), del(2, 'old'), add(2, 'new'), ctx(3, 3, 'c')])).toEqual(['1 a | 1 a', '2-old | 2+new', '3 c | 3 c']);
  });
  it('leaves the rest of the longer run opposite an empty cell', () => {
    expect(show([del(1, 'x'), del(2, 'y'), del(3, 'z'), add(1, 'X')])).toEqual(['1-x | 1+X', '2-y | ·', '3-z | ·']);
    expect(show([del(1, 'x'), add(1, 'X'), add(2, 'Y')])).toEqual(['1-x | 1+X', '· | 2+Y']);
  });
  it('handles pure additions and deletions (new and removed files)', () => {
    expect(show([add(1, 'a'), add(2, 'b')])).toEqual(['· | 1+a', '· | 2+b']);
    expect(show([del(1, 'a')])).toEqual(['1-a | ·']);
  });
  it('starts a new block when deletions follow additions', () => {
    expect(show([del(1, 'a'), add(1, 'A'), del(2, 'b'), add(2, 'B')])).toEqual(['1-a | 1+A', '2-b | 2+B']);
    expect(show([add(1, 'A'), del(1, 'a')])).toEqual(['· | 1+A', '1-a | ·']);
  });
  it('is empty for no lines', () => {
    expect(splitRows([])).toEqual([]);
  });
});

describe('diff labels', () => {
  it('prefixes and letters', () => {
    expect([linePrefix('add'), linePrefix('delete'), linePrefix('context')]).toEqual(['+', '-', ' ']);
    expect(['added', 'modified', 'deleted', 'renamed', 'copied', 'typechange', 'weird'].map(statusLetter).join('')).toBe('AMDRCTM');
  });
});
