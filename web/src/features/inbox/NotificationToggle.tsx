import { requestNotifications, useNotificationPermission } from './notifications';

/** "Enable notifications": the only place that asks the browser, on the user's click. */
export function NotificationToggle() {
  const permission = useNotificationPermission();
  if (permission === 'unsupported') return null;
  if (permission === 'granted') {
    return (
      <span className="muted" data-testid="notifications-on">
        Notifications on
      </span>
    );
  }
  if (permission === 'denied') {
    return (
      <span className="muted" title="Allow notifications for this site in the browser's settings">
        Notifications blocked
      </span>
    );
  }
  return (
    <button className="small-button" data-testid="enable-notifications" onClick={() => void requestNotifications()}>
      Enable notifications
    </button>
  );
}
