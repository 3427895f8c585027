import type { TreeNode } from './fileTree';

interface FileTreeViewProps {
  nodes: TreeNode[];
  expanded: ReadonlySet<string>;
  selected: string | null;
  onToggle: (path: string) => void;
  onSelect: (path: string) => void;
  depth?: number;
}

/** Folders (click to expand) and files (click to open), indented by depth. */
export function FileTreeView({ nodes, expanded, selected, onToggle, onSelect, depth = 0 }: FileTreeViewProps) {
  return (
    <ul className="file-tree" role={depth === 0 ? 'tree' : 'group'}>
      {nodes.map((node) => {
        const open = node.children !== null && expanded.has(node.path);
        return (
          <li key={`${node.children ? 'd' : 'f'}:${node.path}`} role="treeitem" aria-expanded={node.children ? open : undefined}>
            <button
              className={node.path === selected && node.children === null ? 'tree-item active' : 'tree-item'}
              style={{ paddingLeft: 6 + depth * 14 }}
              data-testid={node.children ? 'tree-folder' : 'tree-file'}
              data-path={node.path}
              onClick={() => (node.children ? onToggle(node.path) : onSelect(node.path))}
            >
              <span className="tree-icon" aria-hidden>
                {node.children ? (open ? '▾' : '▸') : '·'}
              </span>
              {node.name}
            </button>
            {open && node.children && (
              <FileTreeView nodes={node.children} expanded={expanded} selected={selected} onToggle={onToggle} onSelect={onSelect} depth={depth + 1} />
            )}
          </li>
        );
      })}
    </ul>
  );
}
