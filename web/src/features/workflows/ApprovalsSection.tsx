import { useEffect, useState } from 'react';
import { formatDateTime, formatRelative } from '../../shared/time';
import { navigate } from '../nav/nav';
import { approvalKey, forgetApproval, refreshApprovals, useApprovals } from './approvalsStore';
import { workflowsApi } from './workflowsApi';
import type { ApprovalView } from './workflowTypes';
import './workflows.css';

/** Workflow approval steps waiting for a person, answered right here (the inbox shows them first). */
export function ApprovalsSection({ now }: { now: number }) {
  const approvals = useApprovals();
  useEffect(() => {
    void refreshApprovals();
  }, []);
  if (!approvals || approvals.length === 0) return null;
  return (
    <ul className="inbox-list approvals" data-testid="approvals" aria-label="Approvals">
      {[...approvals]
        .sort((a, b) => Date.parse(a.since ?? '') - Date.parse(b.since ?? '') || 0)
        .map((a) => (
          <ApprovalRow key={approvalKey(a)} approval={a} now={now} />
        ))}
    </ul>
  );
}

function ApprovalRow({ approval: a, now }: { approval: ApprovalView; now: number }) {
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [comment, setComment] = useState('');
  const answer = async (approve: boolean) => {
    setBusy(approve ? 'approve' : 'reject');
    try {
      const c = comment.trim() || undefined;
      await (approve ? workflowsApi.approve(a.runId, a.stepId, c) : workflowsApi.reject(a.runId, a.stepId, c));
      forgetApproval(a.runId, a.stepId);
      void refreshApprovals();
    } catch {
      setBusy(null);
    }
  };
  const id = `${a.runId}-${a.stepId}`;
  return (
    <li className="inbox-item inbox-approval" data-testid={`approval-${id}`} data-run={a.runId} data-step={a.stepId}>
      <span className="inbox-icon" aria-label="Approval" title="Approval">
        ?
      </span>
      <div className="inbox-body">
        <div className="inbox-where">
          <button className="link-button inbox-terminal" onClick={() => navigate({ view: 'workflows', workflowId: a.workflowId })}>
            {a.workflowName}
          </button>
          <span className="inbox-kind">
            Approval · step <code>{a.stepId}</code>
          </span>
        </div>
        <p className="inbox-message approval-message" data-testid="approval-message">
          {a.message || 'Continue the workflow?'}
        </p>
        <input
          className="approval-comment"
          data-testid={`approval-comment-${id}`}
          placeholder="comment (optional)"
          value={comment}
          maxLength={2000}
          onChange={(e) => setComment(e.target.value)}
        />
      </div>
      {a.since ? (
        <time className="inbox-time muted" dateTime={a.since} title={formatDateTime(a.since)}>
          {formatRelative(a.since, now)}
        </time>
      ) : null}
      <button className="primary-button approval-button" data-testid={`approval-approve-${id}`} disabled={busy !== null} onClick={() => void answer(true)}>
        {busy === 'approve' ? 'Approving…' : 'Approve'}
      </button>
      <button className="small-button danger approval-button" data-testid={`approval-reject-${id}`} disabled={busy !== null} onClick={() => void answer(false)}>
        {busy === 'reject' ? 'Rejecting…' : 'Reject'}
      </button>
    </li>
  );
}
