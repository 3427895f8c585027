import { useEffect } from 'react';
import type { InboxItem } from '../../shared/api/types';
import { notifyItems } from './notifications';
import { onInboxAlerts, refreshInbox } from './inboxStore';

/** Loads the inbox once and turns new urgent items into browser notifications (if allowed). */
export function useInboxAlerts(onOpen: (item: InboxItem) => void): void {
  useEffect(() => {
    void refreshInbox();
  }, []);
  useEffect(() => onInboxAlerts((items) => notifyItems(items, onOpen)), [onOpen]);
}
