import { useState } from 'react';
import type { PullView } from '../../shared/api/types';
import { ConflictList } from './ConflictList';
import { MergeDialog } from './MergeDialog';
import { PullBadge } from './PullBadge';
import { canMerge, checksSummary, shortSha } from './projectFormat';
import { pullsApi } from './projectsApi';
import { upsertPull } from './projectStore';

interface PullStatusProps {
  pr: PullView;
  /** Prefix of the test ids (`pr-<n>` on the project page, `sandbox-pr-<name>` on a card). */
  testId: string;
  /** One line, no meta, no conflict list (the sandbox card shows its own). */
  compact?: boolean;
}

/**
 * One pull request: link, state badge (open, draft, conflicts, merged, closed), checks, the files
 * that conflict with its base, Refresh (re-read from the forge) and Merge.
 */
export function PullStatus({ pr, testId, compact = false }: PullStatusProps) {
  const [merging, setMerging] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const checks = checksSummary(pr.checks);

  const refresh = async () => {
    setRefreshing(true);
    try {
      upsertPull(await pullsApi.refresh(pr.projectId, pr.number));
    } catch {
      // toast
    } finally {
      setRefreshing(false);
    }
  };

  return (
    <div className={compact ? 'pr-status compact' : 'pr-status'} data-testid={testId} data-number={pr.number} data-state={pr.state}>
      <div className="pr-status-line">
        <PullBadge pr={pr} testId={`${testId}-state`} />
        <a href={pr.url} target="_blank" rel="noreferrer" className="pr-link" data-testid={`${testId}-link`} title={pr.title}>
          #{pr.number} {pr.title}
        </a>
      </div>
      {!compact && (
        <div className="pr-status-meta muted">
          {pr.head} → {pr.base}
          {pr.state === 'merged' && pr.mergeSha && <> · merged as {shortSha(pr.mergeSha)}</>}
          {checks && <> · {checks}</>}
        </div>
      )}
      {!compact && pr.state === 'open' && pr.conflicts.length > 0 && <ConflictList files={pr.conflicts} base={pr.base} testId={`${testId}-conflicts`} />}
      {pr.state === 'open' && (
        <div className="pr-actions">
          <button className="small-button" data-testid={`${testId}-refresh`} disabled={refreshing} onClick={() => void refresh()}>
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
          <button
            className="small-button"
            data-testid={`${testId}-merge`}
            disabled={!canMerge(pr)}
            title={canMerge(pr) ? 'Merge on the forge' : 'Resolve the conflicts first'}
            onClick={() => setMerging(true)}
          >
            Merge
          </button>
        </div>
      )}
      {merging && <MergeDialog pr={pr} onClose={() => setMerging(false)} />}
    </div>
  );
}
