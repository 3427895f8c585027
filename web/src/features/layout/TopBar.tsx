import { useRuntimes } from '../terminals/runtimeStore';

type Health = 'connected' | 'reconnecting' | 'connecting' | 'idle';

const labels: Record<Health, string> = {
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  connecting: 'Connecting…',
  idle: 'Online',
};

/** Logo, overall connection health of the terminal sockets, settings. */
export function TopBar() {
  const runtimes = useRuntimes();
  const states = [...runtimes.values()].map((s) => s.socket);
  const health: Health = states.some((s) => s === 'waiting')
    ? 'reconnecting'
    : states.some((s) => s === 'connecting' || s === 'idle')
      ? 'connecting'
      : states.some((s) => s === 'open')
        ? 'connected'
        : 'idle';
  return (
    <header className="top-bar">
      <div className="logo">
        <span className="logo-mark" aria-hidden>
          ❯_
        </span>
        AnyCode
      </div>
      <div className="top-bar-spacer" />
      <div className={`connection-indicator health-${health}`} data-testid="connection-indicator" data-health={health}>
        <span className="status-dot" aria-hidden />
        {labels[health]}
      </div>
      <button className="icon-button settings-button" title="Settings (coming soon)" aria-label="Settings" disabled>
        ⚙
      </button>
    </header>
  );
}
