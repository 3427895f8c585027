import { inboxCount } from '../inbox/inboxLogic';
import { useInbox } from '../inbox/inboxStore';
import { type NavState, navigate } from '../nav/nav';
import { useRuntimes } from '../terminals/runtimeStore';
import { useApprovals } from '../workflows/approvalsStore';

type Health = 'connected' | 'reconnecting' | 'connecting' | 'idle';

const labels: Record<Health, string> = {
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  connecting: 'Connecting…',
  idle: 'Online',
};

/** Logo, view switch (with the inbox count), overall connection health of the terminal sockets, settings. */
export function TopBar({ view }: { view: NavState['view'] }) {
  const runtimes = useRuntimes();
  // Approval steps of workflows wait in the inbox too.
  const count = inboxCount(useInbox().items) + (useApprovals()?.length ?? 0);
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
      <div className="top-nav" aria-label="Views">
        <button
          aria-current={view === 'terminals' ? 'page' : undefined}
          className={view === 'terminals' ? 'top-nav-item active' : 'top-nav-item'}
          data-testid="nav-terminals"
          onClick={() => navigate({ view: 'terminals' })}
        >
          Terminals
        </button>
        <button
          aria-current={view === 'sandboxes' ? 'page' : undefined}
          className={view === 'sandboxes' ? 'top-nav-item active' : 'top-nav-item'}
          data-testid="nav-sandboxes"
          onClick={() => navigate({ view: 'sandboxes' })}
        >
          Sandboxes
        </button>
        <button
          aria-current={view === 'projects' ? 'page' : undefined}
          className={view === 'projects' ? 'top-nav-item active' : 'top-nav-item'}
          data-testid="nav-projects"
          onClick={() => navigate({ view: 'projects', projectId: null })}
        >
          Projects
        </button>
        <button
          aria-current={view === 'inbox' ? 'page' : undefined}
          className={view === 'inbox' ? 'top-nav-item active' : 'top-nav-item'}
          data-testid="nav-inbox"
          onClick={() => navigate({ view: 'inbox' })}
        >
          Inbox
          <span className={count > 0 ? 'inbox-count on' : 'inbox-count'} data-testid="inbox-count" data-count={count} aria-label={`${count} items`}>
            {count}
          </span>
        </button>
        <button
          aria-current={view === 'runs' ? 'page' : undefined}
          className={view === 'runs' ? 'top-nav-item active' : 'top-nav-item'}
          data-testid="nav-runs"
          onClick={() => navigate({ view: 'runs' })}
        >
          Runs
        </button>
        <button
          aria-current={view === 'tasks' ? 'page' : undefined}
          className={view === 'tasks' ? 'top-nav-item active' : 'top-nav-item'}
          data-testid="nav-tasks"
          onClick={() => navigate({ view: 'tasks' })}
        >
          Tasks
        </button>
        <button
          aria-current={view === 'workflows' ? 'page' : undefined}
          className={view === 'workflows' ? 'top-nav-item active' : 'top-nav-item'}
          data-testid="nav-workflows"
          onClick={() => navigate({ view: 'workflows', workflowId: null })}
        >
          Workflows
        </button>
      </div>
      <div className="top-bar-spacer" />
      <div className={`connection-indicator health-${health}`} data-testid="connection-indicator" data-health={health}>
        <span className="status-dot" aria-hidden />
        {labels[health]}
      </div>
      <button
        className={view === 'settings' ? 'icon-button settings-button active' : 'icon-button settings-button'}
        title="Settings"
        aria-label="Settings"
        aria-current={view === 'settings' ? 'page' : undefined}
        data-testid="nav-settings"
        onClick={() => navigate({ view: 'settings' })}
      >
        ⚙
      </button>
    </header>
  );
}
