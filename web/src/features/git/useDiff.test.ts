import { describe, expect, it } from 'vitest';
import type { FileStatView } from '../../shared/api/types';
import { appendPage, remainingFiles } from './useDiff';

const file = (path: string): FileStatView => ({ path, status: 'modified', additions: 1, deletions: 0, binary: false });
const page = (paths: string[], totalFiles: number) => ({ base: 'b', files: paths.map(file), totalFiles, additions: totalFiles, deletions: 0 });

describe('diff pages', () => {
  it('appends the next page and counts what is left', () => {
    let list = appendPage({ ...page([], 0), files: [] }, page(['a', 'b'], 5));
    expect(list.files.map((f) => f.path)).toEqual(['a', 'b']);
    expect(remainingFiles(list)).toBe(3);
    list = appendPage(list, page(['c', 'd', 'e'], 5));
    expect(list.files.map((f) => f.path)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(remainingFiles(list)).toBe(0);
  });
  it('does not repeat a file when the work changed between pages, and takes the newest totals', () => {
    const list = appendPage(page(['a', 'b'], 4), page(['b', 'c'], 3));
    expect(list.files.map((f) => f.path)).toEqual(['a', 'b', 'c']);
    expect(list.totalFiles).toBe(3);
    expect(remainingFiles(list)).toBe(0);
  });
});
