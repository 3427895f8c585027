import { Fragment } from 'react';
import type { FileDiffView } from '../../shared/api/types';
import { linePrefix, splitRows, type SideCell } from './diffRows';

export type DiffMode = 'unified' | 'split';

/** One file's hunks, unified or side by side, with line numbers and add/delete colouring. */
export function DiffFileView({ diff, mode }: { diff: FileDiffView; mode: DiffMode }) {
  return (
    <div className="diff-file" data-testid="diff-view" data-mode={mode} data-path={diff.path}>
      <header className="diff-file-header">
        <span className="diff-file-path">{diff.oldPath && diff.oldPath !== diff.path ? `${diff.oldPath} → ${diff.path}` : diff.path}</span>
        <span className="muted">{diff.status}</span>
      </header>
      {diff.binary && (
        <p className="diff-notice" data-testid="diff-binary">
          Binary file: no text diff to show.
        </p>
      )}
      {!diff.binary && diff.hunks.length === 0 && <p className="diff-notice">No content changes (mode or rename only).</p>}
      {diff.hunks.length > 0 && (mode === 'unified' ? <UnifiedTable diff={diff} /> : <SplitTable diff={diff} />)}
      {diff.truncated && (
        <p className="diff-notice warn" data-testid="diff-truncated">
          This diff is too large and was cut; the rest of the file is not shown.
        </p>
      )}
    </div>
  );
}

function UnifiedTable({ diff }: { diff: FileDiffView }) {
  return (
    <table className="diff-table diff-unified">
      <colgroup>
        <col className="diff-no-col" />
        <col className="diff-no-col" />
        <col className="diff-sign-col" />
        <col />
      </colgroup>
      <tbody>
        {diff.hunks.map((hunk, h) => (
          <Fragment key={h}>
            <tr className="diff-hunk">
              <td colSpan={4}>{hunk.header}</td>
            </tr>
            {hunk.lines.map((line, i) => (
              <tr key={i} className={`diff-line diff-${line.kind}`}>
                <td className="diff-no">{line.oldNo ?? ''}</td>
                <td className="diff-no">{line.newNo ?? ''}</td>
                <td className="diff-sign">{linePrefix(line.kind)}</td>
                <td className="diff-text">{line.text}</td>
              </tr>
            ))}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

function Cells({ cell, side }: { cell: SideCell | null; side: 'left' | 'right' }) {
  if (!cell) {
    return (
      <>
        <td className="diff-no diff-empty" />
        <td className={`diff-text diff-empty diff-cell-${side}`} />
      </>
    );
  }
  return (
    <>
      <td className={`diff-no diff-${cell.kind}`}>{cell.no ?? ''}</td>
      <td className={`diff-text diff-${cell.kind} diff-cell-${side}`}>
        <span className="diff-sign">{linePrefix(cell.kind)}</span>
        {cell.text}
      </td>
    </>
  );
}

function SplitTable({ diff }: { diff: FileDiffView }) {
  return (
    <table className="diff-table diff-split">
      <colgroup>
        <col className="diff-no-col" />
        <col />
        <col className="diff-no-col" />
        <col />
      </colgroup>
      <tbody>
        {diff.hunks.map((hunk, h) => (
          <Fragment key={h}>
            <tr className="diff-hunk">
              <td colSpan={4}>{hunk.header}</td>
            </tr>
            {splitRows(hunk.lines).map((row, i) => (
              <tr key={i} className="diff-row">
                <Cells cell={row.left} side="left" />
                <Cells cell={row.right} side="right" />
              </tr>
            ))}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
