import { useState } from 'react';
import { readJson, writeJson } from '../../shared/storage';
import { ErrorLine } from '../../shared/ui/ErrorLine';
import { Modal } from '../../shared/ui/Modal';
import { formatDiffstat, plural, shortSha } from '../projects/projectFormat';
import { DiffFileView, type DiffMode } from './DiffFileView';
import { statusLetter } from './diffRows';
import { remainingFiles, useDiffList, useFileDiff } from './useDiff';

const MODE_KEY = 'anycode.diffMode';
const PAGE_SIZE = 100;

interface ChangesDialogProps {
  sandboxId: string;
  title: string;
  onClose: () => void;
}

/**
 * A sandbox's work against its base: the changed files (a page at a time, "load more"), and the
 * selected file's hunks (fetched on demand), unified or side by side.
 */
export function ChangesDialog({ sandboxId, title, onClose }: ChangesDialogProps) {
  const [version, setVersion] = useState(0);
  const [mode, setModeState] = useState<DiffMode>(() => (readJson<string>(MODE_KEY, 'unified') === 'split' ? 'split' : 'unified'));
  const [chosen, setChosen] = useState<string | null>(null);
  const { list, error, loading, loadingMore, loadMore } = useDiffList(sandboxId, PAGE_SIZE, version);
  const selected = chosen !== null && list?.files.some((f) => f.path === chosen) ? chosen : (list?.files[0]?.path ?? null);
  const file = useFileDiff(sandboxId, selected, version);

  const setMode = (m: DiffMode) => {
    setModeState(m);
    writeJson(MODE_KEY, m);
  };

  return (
    <Modal title={title} onClose={onClose} wide testId="changes-dialog">
      <div className="changes-toolbar">
        {list && (
          <span data-testid="diff-summary">
            {plural(list.totalFiles, 'file')} changed <span className="diff-stat">{formatDiffstat(list.additions, list.deletions)}</span>{' '}
            <span className="muted">against {shortSha(list.base) || list.base}</span>
          </span>
        )}
        <span className="top-bar-spacer" />
        <div className="segmented" role="group" aria-label="Diff layout">
          <button className={mode === 'unified' ? 'active' : undefined} aria-pressed={mode === 'unified'} data-testid="diff-mode-unified" onClick={() => setMode('unified')}>
            Unified
          </button>
          <button className={mode === 'split' ? 'active' : undefined} aria-pressed={mode === 'split'} data-testid="diff-mode-split" onClick={() => setMode('split')}>
            Side by side
          </button>
        </div>
        <button className="small-button" data-testid="diff-refresh" onClick={() => setVersion((v) => v + 1)}>
          Refresh
        </button>
      </div>
      <ErrorLine error={error} testId="diff-error" />
      {loading ? (
        <p className="modal-note">Loading changes…</p>
      ) : list && list.files.length === 0 ? (
        <p className="modal-note" data-testid="diff-empty">
          No changes against the base yet.
        </p>
      ) : list ? (
        <div className="changes-body">
          <ul className="diff-files" data-testid="diff-files" aria-label="Changed files">
            {list.files.map((f) => (
              <li key={f.path}>
                <button
                  className={f.path === selected ? 'diff-file-item active' : 'diff-file-item'}
                  data-testid="diff-file"
                  data-path={f.path}
                  title={f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}
                  onClick={() => setChosen(f.path)}
                >
                  <span className={`diff-status diff-status-${f.status}`}>{statusLetter(f.status)}</span>
                  <span className="diff-file-name">
                    <bdi dir="ltr">{f.path}</bdi>
                  </span>
                  <span className="diff-stat">{f.binary ? 'bin' : formatDiffstat(f.additions, f.deletions)}</span>
                </button>
              </li>
            ))}
            {remainingFiles(list) > 0 && (
              <li>
                <button className="small-button diff-more" data-testid="diff-load-more" disabled={loadingMore} onClick={() => void loadMore()}>
                  {loadingMore ? 'Loading…' : `Load more (${remainingFiles(list)} more)`}
                </button>
              </li>
            )}
          </ul>
          <div className="diff-pane">
            <ErrorLine error={file.error} testId="diff-file-error" />
            {file.loading && <p className="modal-note">Loading {selected}…</p>}
            {file.diff && <DiffFileView diff={file.diff} mode={mode} />}
          </div>
        </div>
      ) : null}
    </Modal>
  );
}
