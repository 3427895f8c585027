import { useEffect, useState } from 'react';
import type { ClaudeStatus } from '../../shared/api/types';
import { claudeApi } from './settingsApi';

/** Which Claude Code CLI the agents run (pinned in the sandbox image), and the default credential mode. */
export function ClaudePanel() {
  const [status, setStatus] = useState<ClaudeStatus | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    claudeApi.status().then(setStatus, () => setFailed(true));
  }, []);
  return (
    <section className="settings-panel" data-testid="claude-view">
      <h2>Claude Code</h2>
      {status === null ? (
        <p className="muted">{failed ? 'Could not load.' : 'Loading…'}</p>
      ) : (
        <dl className="sandbox-facts">
          <dt>Sandboxes</dt>
          <dd data-testid="claude-sandbox-version" data-version={status.sandboxCliVersion ?? ''}>
            {status.sandboxCliVersion ? `Claude Code ${status.sandboxCliVersion}` : 'unknown'}{' '}
            <span className="muted">
              {status.driver === 'local' ? '(the host CLI: local driver)' : `(pinned in ${status.image})`}
            </span>
          </dd>
          <dt>Host</dt>
          <dd data-testid="claude-host-version" data-version={status.hostCliVersion ?? ''}>
            {status.hostCliVersion ? `Claude Code ${status.hostCliVersion}` : <span className="muted">no claude CLI</span>}
          </dd>
          <dt>Default</dt>
          <dd data-testid="claude-default-mode" data-mode={status.defaultCredentialMode}>
            {status.defaultCredentialMode === 'direct'
              ? 'direct: the credential is put into each process’s environment'
              : 'proxy: the credential stays on this machine'}
          </dd>
        </dl>
      )}
    </section>
  );
}
