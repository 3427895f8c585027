import { useState } from 'react';
import { navigate } from '../nav/nav';
import { type RadarWarning, listFiles } from './radar';
import { rescanRadar } from './taskStore';
import type { TaskView } from './taskTypes';

interface RadarWarningsProps {
  warnings: RadarWarning[];
  bySandbox: ReadonlyMap<string, TaskView>;
  sandboxNames: ReadonlyMap<string, string>;
}

/** The conflict radar: branches of one project that touch the same files, before any PR. */
export function RadarWarnings({ warnings, bySandbox, sandboxNames }: RadarWarningsProps) {
  const [scanning, setScanning] = useState(false);
  const scan = async () => {
    setScanning(true);
    try {
      await rescanRadar();
    } catch {
      // shown as a toast by the API client
    } finally {
      setScanning(false);
    }
  };
  return (
    <section className="radar" data-testid="radar" data-count={warnings.length} aria-label="Conflict radar">
      <header className="radar-header">
        <span className="radar-title">Conflict radar</span>
        <span className="muted">{warnings.length === 0 ? 'no two branches touch the same files' : `${warnings.length} overlap${warnings.length === 1 ? '' : 's'}`}</span>
        <span className="top-bar-spacer" />
        <button className="small-button" data-testid="radar-scan" disabled={scanning} onClick={() => void scan()}>
          {scanning ? 'Scanning…' : 'Scan now'}
        </button>
      </header>
      {warnings.length > 0 && (
        <ul className="radar-list">
          {warnings.map((w) => (
            <li key={w.key} className="radar-warning" data-testid="radar-warning" data-sandboxes={w.sandboxes.join(' ')} title={w.files.join('\n')}>
              <span className="radar-icon" aria-hidden>
                ⚠
              </span>
              <span className="radar-text">
                <strong>{w.branches[0]}</strong> and <strong>{w.branches[1]}</strong> both change <code>{listFiles(w.files)}</code>
              </span>
              <span className="radar-links">
                {w.sandboxes.map((sb, i) => {
                  const task = bySandbox.get(sb);
                  const label = task?.title ?? sandboxNames.get(sb) ?? w.branches[i] ?? sb.slice(0, 8);
                  return (
                    <button
                      key={sb}
                      className="link-button"
                      data-testid={`radar-sandbox-${sb}`}
                      title={`Open the terminals of sandbox ${sandboxNames.get(sb) ?? sb}`}
                      onClick={() => navigate({ view: 'terminals', sandboxFilter: sb })}
                    >
                      {label}
                    </button>
                  );
                })}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
