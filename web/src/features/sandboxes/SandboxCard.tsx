import { useState } from 'react';
import type { SandboxView, TerminalView } from '../../shared/api/types';
import { ConfirmDialog } from '../../shared/ui/ConfirmDialog';
import { AgentBadge } from '../agents/AgentBadge';
import { sandboxAgent } from '../agents/agentState';
import { useAgents } from '../agents/agentStore';
import { SandboxGitSection } from '../git/SandboxGitSection';
import { sandboxGit } from '../git/sandboxGit';
import { useProjects } from '../projects/projectStore';
import { setupFromTerminals } from '../projects/setupState';
import { SandboxStatusBadge } from './SandboxStatusBadge';
import { formatBytes, formatCpu, sandboxActions, showsReason } from './format';
import { sandboxesApi } from './sandboxesApi';
import { removeSandbox, upsertSandbox } from './sandboxStore';

interface SandboxCardProps {
  sandbox: SandboxView;
  onOpenTerminal: (id: string) => Promise<void>;
  /** The terminals (to find a project sandbox's `setup` terminal after a reload). */
  terminals?: TerminalView[] | null;
  /** Shows an existing terminal's tab (the setup terminal). */
  onOpenTab?: (terminalId: string) => void;
}

type Busy = 'start' | 'stop' | 'delete' | 'terminal' | null;

/** One sandbox: state, driver, usage, limits and its actions. */
export function SandboxCard({ sandbox: s, onOpenTerminal, terminals = null, onOpenTab }: SandboxCardProps) {
  const [busy, setBusy] = useState<Busy>(null);
  const [confirming, setConfirming] = useState(false);
  const can = sandboxActions(s.status);
  const agents = useAgents();
  const agent = sandboxAgent(agents.values(), s.id);
  const git = sandboxGit(s);
  const { setups } = useProjects();
  const setup = git ? (setups.get(s.id) ?? setupFromTerminals(terminals, s.id)) : null;

  const run = async (what: Exclude<Busy, null>, action: () => Promise<void>) => {
    setBusy(what);
    try {
      await action();
    } catch {
      // the API client shows a toast
    } finally {
      setBusy(null);
    }
  };
  const start = () => run('start', async () => upsertSandbox(await sandboxesApi.start(s.id)));
  const stop = () => run('stop', async () => upsertSandbox(await sandboxesApi.stop(s.id)));
  const remove = () =>
    run('delete', async () => {
      await sandboxesApi.remove(s.id);
      removeSandbox(s.id);
    });
  const openTerminal = () => run('terminal', () => onOpenTerminal(s.id));

  return (
    <article
      className="sandbox-card"
      data-testid={`sandbox-card-${s.name}`}
      data-status={s.status}
      data-driver={s.driver}
      data-project={git?.projectId}
    >
      <header className="sandbox-card-header">
        <span className={`status-dot sandbox-dot-${s.status}`} aria-hidden />
        <h3 className="sandbox-name" title={s.id}>
          {s.name}
        </h3>
        {agent && <AgentBadge agent={agent.agent} testId={`sandbox-agent-${s.name}`} prefix="Most urgent agent: " />}
        <SandboxStatusBadge status={s.status} />
      </header>
      {showsReason(s.status) && s.reason && (
        <p className="sandbox-reason" data-testid="sandbox-reason">
          {s.reason}
        </p>
      )}
      <dl className="sandbox-facts">
        <dt>Driver</dt>
        <dd className={s.driver === 'local' ? 'warn' : undefined}>{s.driver === 'local' ? 'local (no isolation)' : s.driver}</dd>
        <dt>Image</dt>
        <dd className="ellipsis" title={s.image}>
          {s.image}
        </dd>
        <dt>CPU</dt>
        <dd data-testid="sandbox-cpu">
          {s.stats ? formatCpu(s.stats.cpuPercent) : '–'} <span className="muted">of {s.limits.cpus} CPU</span>
        </dd>
        <dt>Memory</dt>
        <dd data-testid="sandbox-memory-usage">
          {s.stats
            ? `${formatBytes(s.stats.memoryBytes)} / ${formatBytes(s.stats.memoryLimitBytes || s.limits.memoryMb * 1024 * 1024)}`
            : `– / ${formatBytes(s.limits.memoryMb * 1024 * 1024)}`}
        </dd>
        <dt>Network</dt>
        <dd>{s.network === 'bridge' ? 'bridge (open)' : 'none (allowlist proxy)'}</dd>
        <dt>Credential</dt>
        <dd className={s.credentialMode === 'direct' ? 'warn' : undefined} data-testid="sandbox-card-credential" data-mode={s.credentialMode}>
          {s.credentialMode === 'direct' ? 'direct (readable inside)' : 'proxy'}
        </dd>
        <dt>Terminals</dt>
        <dd data-testid="sandbox-terminals">{s.terminals}</dd>
      </dl>
      {git && <SandboxGitSection sandbox={s} git={git} live={can.terminal} setup={setup} onOpenTab={onOpenTab} />}
      <footer className="sandbox-actions">
        <button
          className="primary-button"
          data-testid={`sandbox-open-terminal-${s.name}`}
          disabled={!can.terminal || busy !== null}
          onClick={() => void openTerminal()}
        >
          Open terminal
        </button>
        <button className="small-button" data-testid={`sandbox-start-${s.name}`} disabled={!can.start || busy !== null} onClick={() => void start()}>
          {busy === 'start' ? 'Starting…' : 'Start'}
        </button>
        <button className="small-button" data-testid={`sandbox-stop-${s.name}`} disabled={!can.stop || busy !== null} onClick={() => void stop()}>
          {busy === 'stop' ? 'Stopping…' : 'Stop'}
        </button>
        <button
          className="small-button danger"
          data-testid={`sandbox-delete-${s.name}`}
          disabled={!can.remove || busy !== null}
          onClick={() => setConfirming(true)}
        >
          {busy === 'delete' ? 'Deleting…' : 'Delete'}
        </button>
      </footer>
      {confirming && (
        <ConfirmDialog
          title={`Delete sandbox ${s.name}?`}
          message={`The container and everything in it are removed${s.terminals > 0 ? `, and its ${s.terminals} terminal(s) closed` : ''}. This cannot be undone.`}
          confirmLabel="Delete"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void remove();
          }}
        />
      )}
    </article>
  );
}
