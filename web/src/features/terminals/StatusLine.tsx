import type { TerminalView } from '../../shared/api/types';
import type { PaneControls } from './TerminalPane';
import type { TerminalConnectionState } from './TerminalConnection';
import { displayStatus } from './useTerminalSocket';
import { useNow } from './useNow';

interface StatusLineProps {
  terminal: TerminalView | null;
  state: TerminalConnectionState | null;
  controls: PaneControls | null;
  onReplay: (id: string) => void;
}

function connectionText(state: TerminalConnectionState, now: number): string {
  switch (state.socket) {
    case 'open':
      return 'connected';
    case 'waiting': {
      const seconds = Math.max(0, Math.ceil(((state.retryAt ?? now) - now) / 1000));
      return `reconnecting in ${seconds}s…`;
    }
    case 'stopped':
      return state.notFound ? 'terminal not found' : 'disconnected';
    default:
      return 'connecting…';
  }
}

function exitText(exit: NonNullable<TerminalConnectionState['exit']>): string {
  if (exit.code !== null) return `[process exited with code ${exit.code}]`;
  if (exit.signal !== null) return `[process killed by signal ${exit.signal}]`;
  return '[process exited]';
}

function formatQueued(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Bottom line: live status, size, offset, connection, exit and actions of the active terminal. */
export function StatusLine({ terminal, state, controls, onReplay }: StatusLineProps) {
  const now = useNow(state?.socket === 'waiting');
  if (!terminal || !state) {
    return (
      <footer className="status-line" data-testid="status-line">
        <span className="status-item muted">{terminal ? 'starting…' : 'no terminal'}</span>
      </footer>
    );
  }
  const status = displayStatus(state);
  const cols = state.cols ?? terminal.cols;
  const rows = state.rows ?? terminal.rows;
  return (
    <footer className="status-line" data-testid="status-line" data-status={status} data-connection={state.socket}>
      <span className={`status-item status-chip status-${state.exit ? 'exited' : status}`} data-testid="status-live">
        {state.exit ? 'exited' : status}
        {state.liveReason ? ` (${state.liveReason})` : ''}
      </span>
      <span className="status-item" data-testid="status-size">
        {cols}×{rows}
      </span>
      <span className="status-item" data-testid="status-offset" title="next byte offset / written to screen">
        offset {state.next ?? '–'}
      </span>
      <span className={`status-item conn-${state.socket}`} data-testid="status-connection">
        {connectionText(state, now)}
        {(state.socket === 'waiting' || state.socket === 'stopped') && !state.notFound && (
          <button className="link-button" onClick={() => controls?.reconnectNow()}>
            retry now
          </button>
        )}
      </span>
      {state.queuedInput > 0 && (
        <span
          className="status-item input-queued"
          data-testid="input-queued"
          title="Typed while disconnected: sent as soon as the terminal is back"
        >
          input queued ({formatQueued(state.queuedInput)})
        </span>
      )}
      {state.latencyMs !== null && state.socket === 'open' && <span className="status-item muted">{state.latencyMs} ms</span>}
      {state.exit && (
        <span className="status-item exit" data-testid="status-exit">
          {exitText(state.exit)}
          <button className="small-button" data-testid="restart-button" onClick={() => controls?.restart()}>
            Restart
          </button>
        </span>
      )}
      {state.lastError && (
        <span className="status-item error" title={state.lastError.message}>
          {state.lastError.code}
        </span>
      )}
      <span className="status-spacer" />
      <span className="status-item muted ellipsis" title={terminal.cwd ?? undefined}>
        {terminal.command.join(' ')}
        {terminal.cwd ? ` · ${terminal.cwd}` : ''}
      </span>
      <button className="small-button" title="Find (Ctrl+Shift+F)" onClick={() => controls?.openSearch()}>
        Find
      </button>
      <button className="small-button" data-testid="replay-button" onClick={() => onReplay(terminal.id)}>
        Replay
      </button>
    </footer>
  );
}
