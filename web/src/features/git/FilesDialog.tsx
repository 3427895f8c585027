import { useEffect, useMemo, useState } from 'react';
import type { FileContentView, FilesView } from '../../shared/api/types';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { Modal } from '../../shared/ui/Modal';
import { FileTreeView } from './FileTreeView';
import { buildFileTree, compactTree, countFiles } from './fileTree';
import { gitApi } from './gitApi';

interface FilesDialogProps {
  sandboxId: string;
  title: string;
  onClose: () => void;
}

/** The sandbox's workspace as a tree; a click shows the file read-only. */
export function FilesDialog({ sandboxId, title, onClose }: FilesDialogProps) {
  const [listing, setListing] = useState<{ files: FilesView | null; error: ShownError | null } | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [content, setContent] = useState<{ path: string; view: FileContentView | null; error: ShownError | null } | null>(null);

  useEffect(() => {
    let live = true;
    gitApi.files(sandboxId).then(
      (files) => live && setListing({ files, error: null }),
      (error: unknown) => live && setListing({ files: null, error: shownError(error) }),
    );
    return () => {
      live = false;
    };
  }, [sandboxId]);

  useEffect(() => {
    if (selected === null) return;
    let live = true;
    gitApi.file(sandboxId, selected).then(
      (view) => live && setContent({ path: selected, view, error: null }),
      (error: unknown) => live && setContent({ path: selected, view: null, error: shownError(error) }),
    );
    return () => {
      live = false;
    };
  }, [sandboxId, selected]);

  const tree = useMemo(() => compactTree(buildFileTree(listing?.files?.files ?? [])), [listing]);
  const toggle = (path: string) =>
    setExpanded((e) => {
      const next = new Set(e);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  const shown = content !== null && content.path === selected ? content : null;

  return (
    <Modal title={title} onClose={onClose} wide testId="files-dialog">
      <ErrorLine error={listing?.error ?? null} testId="files-error" />
      {listing === null ? (
        <p className="modal-note">Loading files…</p>
      ) : listing.files ? (
        <div className="changes-body">
          <div className="files-tree-pane">
            <p className="muted files-count">
              {countFiles(tree)} files{listing.files.truncated && <span data-testid="files-truncated"> (list truncated)</span>}
            </p>
            <FileTreeView nodes={tree} expanded={expanded} selected={selected} onToggle={toggle} onSelect={setSelected} />
          </div>
          <div className="diff-pane">
            {selected === null ? (
              <p className="modal-note">Select a file to view it.</p>
            ) : shown === null ? (
              <p className="modal-note">Loading {selected}…</p>
            ) : (
              <>
                <ErrorLine error={shown.error} testId="file-error" />
                {shown.view && <FileContent view={shown.view} />}
              </>
            )}
          </div>
        </div>
      ) : null}
    </Modal>
  );
}

function FileContent({ view }: { view: FileContentView }) {
  const lines = view.content.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return (
    <div className="diff-file" data-testid="file-viewer" data-path={view.path}>
      <header className="diff-file-header">
        <span className="diff-file-path">{view.path}</span>
        <span className="muted">read-only</span>
      </header>
      <table className="diff-table file-table">
        <colgroup>
          <col className="diff-no-col" />
          <col />
        </colgroup>
        <tbody>
          {lines.map((line, i) => (
            <tr key={i}>
              <td className="diff-no">{i + 1}</td>
              <td className="diff-text">{line}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {view.truncated && (
        <p className="diff-notice warn" data-testid="file-truncated">
          The file is too large: only its beginning is shown.
        </p>
      )}
    </div>
  );
}
