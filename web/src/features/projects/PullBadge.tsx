import type { PullView } from '../../shared/api/types';
import { pullBadge } from './projectFormat';

const LABELS = { open: 'open', draft: 'draft', merged: 'merged', closed: 'closed', conflicts: 'conflicts' } as const;

/** A pull request's state as a coloured pill (`.pr-badge-<state>`). */
export function PullBadge({ pr, testId }: { pr: PullView; testId?: string }) {
  const badge = pullBadge(pr);
  return (
    <span className={`pr-badge pr-badge-${badge}`} data-testid={testId} data-state={pr.state} data-badge={badge}>
      {LABELS[badge]}
    </span>
  );
}
