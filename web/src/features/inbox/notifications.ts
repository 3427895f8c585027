import type { InboxItem } from '../../shared/api/types';
import { Store, useStore } from '../../shared/store';

export type Permission = NotificationPermission | 'unsupported';

function current(): Permission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

const permissionStore = new Store<Permission>(typeof window === 'undefined' ? 'unsupported' : current());

export function useNotificationPermission(): Permission {
  return useStore(permissionStore);
}

/** Asks the browser for permission: only ever called from the user's click, never on load. */
export async function requestNotifications(): Promise<void> {
  if (typeof Notification === 'undefined') return;
  try {
    permissionStore.set(await Notification.requestPermission());
  } catch {
    permissionStore.set(current());
  }
}

/** A browser notification per item, when (and only when) the user granted permission. */
export function notifyItems(items: readonly InboxItem[], onClick: (item: InboxItem) => void): void {
  if (current() !== 'granted' || items.length === 0) return;
  for (const item of items) {
    const where = [item.sandboxName, item.terminalName].filter(Boolean).join(' / ') || item.terminalId.slice(0, 8);
    const title = item.kind === 'error' ? `Agent error in ${where}` : `Agent needs input in ${where}`;
    try {
      const n = new Notification(title, { body: item.message ?? '', tag: `anycode-${item.terminalId}` });
      n.onclick = () => {
        window.focus();
        onClick(item);
        n.close();
      };
    } catch {
      // some browsers only allow notifications from a service worker: nothing to do
    }
  }
}
