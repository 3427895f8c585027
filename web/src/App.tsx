import { useCallback, useEffect, useState } from 'react';
import { AccessTokenPage } from './features/auth/AccessTokenPage';
import { Sidebar } from './features/layout/Sidebar';
import { TopBar } from './features/layout/TopBar';
import { followHash, navigate, useNav } from './features/nav/nav';
import { InboxView } from './features/inbox/InboxView';
import { RunsView } from './features/runs/RunsView';
import { useInboxAlerts } from './features/inbox/useInboxAlerts';
import { useMarkSeen } from './features/inbox/useMarkSeen';
import { ProjectPage } from './features/projects/ProjectPage';
import { ProjectsView } from './features/projects/ProjectsView';
import { SandboxesView } from './features/sandboxes/SandboxesView';
import { SettingsView } from './features/settings/SettingsView';
import { startSandboxEvents } from './features/sandboxes/sandboxEvents';
import { TasksView } from './features/tasks/TasksView';
import { TerminalsView } from './features/terminals/TerminalsView';
import { estimateGrid } from './features/terminals/gridSize';
import { useTerminals } from './features/terminals/useTerminals';
import { WorkflowsView } from './features/workflows/WorkflowsView';
import { onUnauthorized } from './shared/api/client';
import { Toasts } from './shared/ui/Toasts';

export function App() {
  const [unauthorized, setUnauthorized] = useState(false);
  useEffect(() => onUnauthorized(() => setUnauthorized(true)), []);
  if (unauthorized) return <AccessTokenPage />;
  return <Workspace />;
}

function Workspace() {
  const nav = useNav();
  const terminals = useTerminals();
  useEffect(() => followHash(), []);
  useEffect(() => startSandboxEvents(), []);

  const { create, setActive } = terminals;
  /** Inbox "Open" (and notification clicks): the terminal's tab in the terminals view. */
  const openTerminal = useCallback(
    (item: { terminalId: string }) => {
      setActive(item.terminalId);
      navigate({ view: 'terminals', sandboxFilter: null });
    },
    [setActive],
  );
  useInboxAlerts(openTerminal);
  /** A project sandbox's "open terminal" of its setup run: that tab in the terminals view. */
  const openTab = useCallback((terminalId: string) => openTerminal({ terminalId }), [openTerminal]);
  useMarkSeen(nav.view === 'terminals' ? terminals.activeId : null);

  /** "Open terminal" of a sandbox: a new terminal inside it, then its tab. */
  const openSandboxTerminal = useCallback(
    async (sandboxId: string) => {
      const view = await create(estimateGrid(document.querySelector('.main')), { sandboxId });
      if (view) navigate({ view: 'terminals', sandboxFilter: null });
    },
    [create],
  );

  return (
    <div className="app">
      <TopBar view={nav.view} />
      <Sidebar nav={nav} terminals={terminals.terminals} onSelectSandbox={(id) => navigate({ view: 'terminals', sandboxFilter: id })} />
      <main className="main">
        <TerminalsView model={terminals} hidden={nav.view !== 'terminals'} sandboxFilter={nav.sandboxFilter} />
        {nav.view === 'sandboxes' && <SandboxesView onOpenTerminal={openSandboxTerminal} terminals={terminals.terminals} onOpenTab={openTab} />}
        {nav.view === 'projects' &&
          (nav.projectId ? (
            <ProjectPage key={nav.projectId} projectId={nav.projectId} onOpenTerminal={openSandboxTerminal} terminals={terminals.terminals} onOpenTab={openTab} />
          ) : (
            <ProjectsView />
          ))}
        {nav.view === 'inbox' && <InboxView onOpen={openTerminal} />}
        {nav.view === 'runs' && <RunsView onOpenTerminal={(terminalId) => openTerminal({ terminalId })} />}
        {nav.view === 'tasks' && <TasksView />}
        {nav.view === 'workflows' && <WorkflowsView workflowId={nav.workflowId ?? null} />}
        {nav.view === 'settings' && <SettingsView />}
      </main>
      <Toasts />
    </div>
  );
}
