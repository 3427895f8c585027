import { useEffect, useMemo } from 'react';
import type { RunView } from '../../shared/api/types';
import { formatDateTime, formatRelative } from '../../shared/time';
import { useNow } from '../inbox/useNow';
import { sandboxName, useSandboxes } from '../sandboxes/sandboxStore';
import { Outcome, RunEventLog } from './RunEventLog';
import { StartRunForm } from './StartRunForm';
import { logItems, outcomeOf, runStatus, sortRuns } from './runLog';
import { refreshRuns, selectRun, useRuns } from './runStore';
import './runs.css';

const STATUS_LABEL = { running: 'Running', completed: 'Completed', failed: 'Failed' } as const;

/** Headless Claude runs: start one in a sandbox, follow its typed event log live. */
export function RunsView({ onOpenTerminal }: { onOpenTerminal: (terminalId: string) => void }) {
  const { list, details, selected } = useRuns();
  const { list: sandboxes } = useSandboxes();
  const now = useNow();
  useEffect(() => {
    void refreshRuns();
  }, []);
  const runs = useMemo(() => sortRuns(list ?? []), [list]);
  const detail = selected ? details.get(selected) : undefined;
  const items = useMemo(() => (detail ? logItems(detail.events) : []), [detail]);
  const current = runs.find((r) => r.id === selected) ?? detail?.run;

  return (
    <section className="runs" data-testid="runs-view">
      <header className="sandboxes-header">
        <h1>Runs</h1>
      </header>
      <StartRunForm sandboxes={sandboxes} onStarted={(run) => selectRun(run.id)} />
      <div className="runs-body">
        <div className="runs-list-pane">
          {list === null ? (
            <p className="muted">Loading…</p>
          ) : runs.length === 0 ? (
            <p className="muted" data-testid="runs-empty">
              No runs yet. A run is <code>claude -p</code> in a sandbox; its steps show up here as they happen.
            </p>
          ) : (
            <ul className="runs-list">
              {runs.map((r) => (
                <RunRow
                  key={r.id}
                  run={r}
                  sandbox={sandboxName(sandboxes, r.sandboxId) ?? r.sandboxId.slice(0, 8)}
                  selected={r.id === selected}
                  now={now}
                  onSelect={() => selectRun(r.id)}
                />
              ))}
            </ul>
          )}
        </div>
        <div className="run-detail" data-testid="run-detail" data-run={current?.id ?? ''} data-status={current ? runStatus(current) : ''}>
          {!current ? (
            <p className="muted">Select a run to see its event log.</p>
          ) : (
            <>
              <header className="run-detail-head">
                <span className={`run-status run-${runStatus(current)}`}>{STATUS_LABEL[runStatus(current)]}</span>
                <span className="sandbox-badge">{sandboxName(sandboxes, current.sandboxId) ?? current.sandboxId.slice(0, 8)}</span>
                {current.sessionId && (
                  <span className="muted" title="Session id (resume it with a new run)">
                    session {current.sessionId.slice(0, 8)}
                  </span>
                )}
                <span className="top-bar-spacer" />
                <button className="small-button" data-testid="run-open-terminal" onClick={() => onOpenTerminal(current.terminalId)}>
                  Terminal
                </button>
              </header>
              <p className="run-prompt">{current.prompt}</p>
              <RunEventLog items={items} />
              {runStatus(current) === 'failed' && !items.some((i) => i.kind === 'result') && <FailureNote result={current.result} />}
            </>
          )}
        </div>
      </div>
    </section>
  );
}

function FailureNote({ result }: { result: RunView['result'] }) {
  const outcome = outcomeOf(result);
  return outcome ? <Outcome outcome={outcome} /> : null;
}

interface RunRowProps {
  run: RunView;
  sandbox: string;
  selected: boolean;
  now: number;
  onSelect: () => void;
}

function RunRow({ run, sandbox, selected, now, onSelect }: RunRowProps) {
  const status = runStatus(run);
  const outcome = outcomeOf(run.result);
  return (
    <li>
      <button
        className={selected ? 'run-row selected' : 'run-row'}
        data-testid={`run-row-${run.id}`}
        data-status={status}
        aria-pressed={selected}
        onClick={onSelect}
      >
        <span className={`run-status run-${status}`}>{STATUS_LABEL[status]}</span>
        <span className="run-row-main">
          <span className="run-row-prompt">{run.prompt}</span>
          <span className="muted">
            {sandbox} · <time title={formatDateTime(run.createdAt)}>{formatRelative(run.createdAt, now)}</time>
            {outcome?.costUsd != null ? ` · $${outcome.costUsd.toFixed(4)}` : ''}
          </span>
        </span>
      </button>
    </li>
  );
}
