import { useCallback, useEffect, useState } from 'react';
import { AccessTokenPage } from './features/auth/AccessTokenPage';
import { Sidebar } from './features/layout/Sidebar';
import { TopBar } from './features/layout/TopBar';
import { followHash, navigate, useNav } from './features/nav/nav';
import { SandboxesView } from './features/sandboxes/SandboxesView';
import { startSandboxEvents } from './features/sandboxes/sandboxEvents';
import { TerminalsView } from './features/terminals/TerminalsView';
import { estimateGrid } from './features/terminals/gridSize';
import { useTerminals } from './features/terminals/useTerminals';
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

  const { create } = terminals;
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
        {nav.view === 'sandboxes' && <SandboxesView onOpenTerminal={openSandboxTerminal} />}
      </main>
      <Toasts />
    </div>
  );
}
