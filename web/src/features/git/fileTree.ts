/** A folder or file of the workspace tree built from the flat `git ls-files`-style list. */
export interface TreeNode {
  name: string;
  /** Full path from the workspace root (`src/lib/a.ts`; folders without a trailing slash). */
  path: string;
  /** Children for folders (folders first, then files, each by name); null for files. */
  children: TreeNode[] | null;
}

interface Building {
  name: string;
  path: string;
  dirs: Map<string, Building>;
  files: Set<string>;
}

const byName = (a: TreeNode, b: TreeNode) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Builds the tree from paths like `src/a.ts`: empty segments (`a//b`, leading or trailing `/`)
 * are ignored, duplicates collapse, a name that is both a file and a folder shows as both.
 */
export function buildFileTree(paths: readonly string[]): TreeNode[] {
  const root: Building = { name: '', path: '', dirs: new Map(), files: new Set() };
  for (const raw of paths) {
    const parts = raw.split('/').filter((p) => p !== '');
    if (parts.length === 0) continue;
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.dirs.get(part);
      if (!next) {
        next = { name: part, path: dir.path ? `${dir.path}/${part}` : part, dirs: new Map(), files: new Set() };
        dir.dirs.set(part, next);
      }
      dir = next;
    }
    dir.files.add(parts[parts.length - 1] as string);
  }
  const finish = (dir: Building): TreeNode[] => {
    const folders = [...dir.dirs.values()].map((d) => ({ name: d.name, path: d.path, children: finish(d) })).sort(byName);
    const files = [...dir.files].map((f) => ({ name: f, path: dir.path ? `${dir.path}/${f}` : f, children: null })).sort(byName);
    return [...folders, ...files];
  };
  return finish(root);
}

/**
 * Single-child folder chains shown as one row (`src/main/java`), like most editors; the merged
 * node keeps the deepest folder's path.
 */
export function compactTree(nodes: TreeNode[]): TreeNode[] {
  return nodes.map((node) => {
    if (node.children === null) return node;
    let current = node;
    let name = node.name;
    while (current.children !== null && current.children.length === 1 && current.children[0]?.children !== null) {
      const only = current.children[0] as TreeNode;
      name = `${name}/${only.name}`;
      current = only;
    }
    return { name, path: current.path, children: compactTree(current.children ?? []) };
  });
}

/** Every folder path that leads to `file` (`a/b/c.ts` → `a`, `a/b`): to reveal it in the tree. */
export function ancestors(file: string): string[] {
  const parts = file.split('/').filter(Boolean);
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Number of files under a list of nodes. */
export function countFiles(nodes: readonly TreeNode[]): number {
  return nodes.reduce((n, node) => n + (node.children === null ? 1 : countFiles(node.children)), 0);
}
