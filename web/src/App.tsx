import { useEffect, useState } from 'react';
import { AccessTokenPage } from './features/auth/AccessTokenPage';
import { Sidebar } from './features/layout/Sidebar';
import { TopBar } from './features/layout/TopBar';
import { TerminalsView } from './features/terminals/TerminalsView';
import { onUnauthorized } from './shared/api/client';
import { Toasts } from './shared/ui/Toasts';

export function App() {
  const [unauthorized, setUnauthorized] = useState(false);
  useEffect(() => onUnauthorized(() => setUnauthorized(true)), []);

  if (unauthorized) return <AccessTokenPage />;
  return (
    <div className="app">
      <TopBar />
      <Sidebar />
      <main className="main">
        <TerminalsView />
      </main>
      <Toasts />
    </div>
  );
}
