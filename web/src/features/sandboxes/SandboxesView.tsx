import { useEffect, useState } from 'react';
import type { TerminalView } from '../../shared/api/types';
import { DriverWarning } from './DriverWarning';
import { NewSandboxDialog } from './NewSandboxDialog';
import { SandboxCard } from './SandboxCard';
import { refreshSandboxes } from './sandboxEvents';
import { upsertSandbox, useSandboxes } from './sandboxStore';

interface SandboxesViewProps {
  onOpenTerminal: (sandboxId: string) => Promise<void>;
  terminals: TerminalView[] | null;
  onOpenTab: (terminalId: string) => void;
}

/** The sandboxes dashboard: a card per sandbox, live through /ws/events. */
export function SandboxesView({ onOpenTerminal, terminals, onOpenTab }: SandboxesViewProps) {
  const { list, driver, live } = useSandboxes();
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    void refreshSandboxes();
  }, []);
  const local = driver === 'local' || (list?.some((s) => s.driver === 'local' && s.status !== 'destroyed') ?? false);

  return (
    <section className="sandboxes" data-testid="sandboxes-view" data-live={live}>
      <header className="sandboxes-header">
        <h1>Sandboxes</h1>
        <span className={live ? 'live-chip on' : 'live-chip'} title={live ? 'Live updates' : 'Live updates paused: reconnecting'}>
          {live ? 'live' : 'offline'}
        </span>
        {driver && <span className="muted">driver: {driver}</span>}
        <span className="top-bar-spacer" />
        <button className="primary-button" data-testid="new-sandbox" onClick={() => setCreating(true)}>
          New sandbox
        </button>
      </header>
      {local && <DriverWarning />}
      {list === null ? (
        <p className="muted sandboxes-empty">Loading sandboxes…</p>
      ) : list.length === 0 ? (
        <div className="sandboxes-empty">
          <p>No sandboxes yet. A sandbox is an isolated container where agents and terminals run.</p>
        </div>
      ) : (
        <div className="sandbox-grid">
          {list.map((s) => (
            <SandboxCard key={s.id} sandbox={s} onOpenTerminal={onOpenTerminal} terminals={terminals} onOpenTab={onOpenTab} />
          ))}
        </div>
      )}
      {creating && (
        <NewSandboxDialog
          onClose={() => setCreating(false)}
          onCreated={(sandbox) => {
            upsertSandbox(sandbox);
            setCreating(false);
          }}
        />
      )}
    </section>
  );
}
