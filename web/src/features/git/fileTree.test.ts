import { describe, expect, it } from 'vitest';
import { ancestors, buildFileTree, compactTree, countFiles, type TreeNode } from './fileTree';

/** `dir/` for folders, indented by depth: easy to compare. */
function render(nodes: TreeNode[], depth = 0): string[] {
  return nodes.flatMap((n) => [
    `${'  '.repeat(depth)}${n.name}${n.children ? '/' : ''} (${n.path})`,
    ...(n.children ? render(n.children, depth + 1) : []),
  ]);
}

describe('buildFileTree', () => {
  it('nests folders, folders before files, each sorted', () => {
    const tree = buildFileTree(['src/main.rs', 'README.md', 'src/lib/b.rs', 'src/lib/a.rs', 'Cargo.toml', '.github/workflows/ci.yml']);
    expect(render(tree)).toEqual([
      '.github/ (.github)',
      '  workflows/ (.github/workflows)',
      '    ci.yml (.github/workflows/ci.yml)',
      'src/ (src)',
      '  lib/ (src/lib)',
      '    a.rs (src/lib/a.rs)',
      '    b.rs (src/lib/b.rs)',
      '  main.rs (src/main.rs)',
      'Cargo.toml (Cargo.toml)',
      'README.md (README.md)',
    ]);
    expect(countFiles(tree)).toBe(6);
  });
  it('ignores empty segments and duplicates', () => {
    expect(render(buildFileTree(['a//b', '/a/b', 'a/b/', '', 'a/b']))).toEqual(['a/ (a)', '  b (a/b)']);
  });
  it('handles an empty list', () => {
    expect(buildFileTree([])).toEqual([]);
  });
});

describe('compactTree', () => {
  it('merges single-folder chains but not folders with files', () => {
    const tree = compactTree(buildFileTree(['src/main/java/App.java', 'src/main/java/Util.java', 'docs/a.md', 'x.txt']));
    expect(render(tree)).toEqual([
      'docs/ (docs)',
      '  a.md (docs/a.md)',
      'src/main/java/ (src/main/java)',
      '  App.java (src/main/java/App.java)',
      '  Util.java (src/main/java/Util.java)',
      'x.txt (x.txt)',
    ]);
  });
});

describe('ancestors', () => {
  it('lists the folders leading to a file', () => {
    expect(ancestors('a/b/c.ts')).toEqual(['a', 'a/b']);
    expect(ancestors('top.txt')).toEqual([]);
  });
});
