import type { InboxItem, InboxKind } from '../../shared/api/types';
import { formatDateTime, formatRelative } from '../../shared/time';

const KIND: Record<InboxKind, { icon: string; label: string }> = {
  waiting_for_input: { icon: '?', label: 'Needs input' },
  error: { icon: '!', label: 'Error' },
  finished: { icon: '✓', label: 'Finished' },
};

interface InboxItemRowProps {
  item: InboxItem;
  now: number;
  onOpen: (item: InboxItem) => void;
}

/** One inbox entry: what happened, where, when, and a way to get there. */
export function InboxItemRow({ item, now, onOpen }: InboxItemRowProps) {
  const kind = KIND[item.kind];
  return (
    <li className={`inbox-item inbox-${item.kind}`} data-testid={`inbox-item-${item.terminalId}`} data-kind={item.kind}>
      <span className="inbox-icon" aria-label={kind.label} title={kind.label}>
        {kind.icon}
      </span>
      <div className="inbox-body">
        <div className="inbox-where">
          {item.sandboxName && <span className="sandbox-badge">{item.sandboxName}</span>}
          <span className="inbox-terminal">{item.terminalName ?? item.terminalId.slice(0, 8)}</span>
          <span className="inbox-kind">{kind.label}</span>
        </div>
        {item.message && <p className="inbox-message">{item.message}</p>}
      </div>
      <time className="inbox-time muted" dateTime={item.since} title={formatDateTime(item.since)}>
        {formatRelative(item.since, now)}
      </time>
      <button className="small-button" data-testid={`inbox-open-${item.terminalId}`} onClick={() => onOpen(item)}>
        Open
      </button>
    </li>
  );
}
