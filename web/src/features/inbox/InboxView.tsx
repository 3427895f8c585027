import { useEffect } from 'react';
import type { InboxItem } from '../../shared/api/types';
import { InboxItemRow } from './InboxItemRow';
import { NotificationToggle } from './NotificationToggle';
import { RateLimitBanner } from './RateLimitBanner';
import { sortInbox } from './inboxLogic';
import { refreshInbox, useInbox } from './inboxStore';
import { useNow } from './useNow';
import { ApprovalsSection } from '../workflows/ApprovalsSection';
import { useApprovals } from '../workflows/approvalsStore';

/** What the agents need from a person: waiting for input, errors, finished turns not yet seen. */
export function InboxView({ onOpen }: { onOpen: (item: InboxItem) => void }) {
  const { items, rateLimits } = useInbox();
  const approvals = useApprovals();
  const now = useNow();
  useEffect(() => {
    void refreshInbox();
  }, []);
  return (
    <section className="inbox" data-testid="inbox-view">
      <header className="sandboxes-header">
        <h1>Inbox</h1>
        <span className="top-bar-spacer" />
        <NotificationToggle />
      </header>
      <RateLimitBanner limits={rateLimits} now={now} />
      <ApprovalsSection now={now} />
      {items === null ? (
        <p className="muted sandboxes-empty">Loading…</p>
      ) : items.length === 0 ? (
        (approvals?.length ?? 0) > 0 ? null : (
          <p className="muted sandboxes-empty" data-testid="inbox-empty">
            Nothing needs you right now. Agents waiting for input, errors, finished turns and workflow approvals show up here.
          </p>
        )
      ) : (
        <ul className="inbox-list">
          {sortInbox(items).map((item) => (
            <InboxItemRow key={`${item.terminalId}|${item.kind}`} item={item} now={now} onOpen={onOpen} />
          ))}
        </ul>
      )}
    </section>
  );
}
