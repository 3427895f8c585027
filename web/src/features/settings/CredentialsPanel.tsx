import { useCallback, useEffect, useState } from 'react';
import type { CredentialStatus, KeyStorageKind } from '../../shared/api/types';
import { CredentialForm } from './CredentialForm';
import { CredentialRow } from './CredentialRow';
import { credentialsApi } from './settingsApi';

const KEY_STORAGE: Record<KeyStorageKind, string> = {
  keychain: 'the macOS Keychain',
  'secret-service': 'the Secret Service keyring',
  file: 'a key file readable only by you (no OS keyring answered)',
};

/** Which Anthropic credential the model proxy uses, what else was found, and adding/removing. */
export function CredentialsPanel() {
  const [status, setStatus] = useState<CredentialStatus | null>(null);

  const load = useCallback(() => credentialsApi.status().then(setStatus, () => undefined), []);
  useEffect(() => {
    credentialsApi.status().then(setStatus, () => undefined);
  }, []);

  const remove = async (id: string) => {
    try {
      await credentialsApi.remove(id);
    } catch {
      // toast
    }
    await load();
  };

  return (
    <section className="settings-panel" data-testid="credentials-view">
      <h2>Credentials</h2>
      {status === null ? (
        <p className="muted">Loading…</p>
      ) : status.configured ? (
        <p className="credential-status ok" data-testid="credentials-status" data-configured="true">
          Configured: agents reach the model through AnyCode's proxy; the secret never enters a sandbox (unless it
          was created in direct credential mode).
        </p>
      ) : (
        <p className="credential-status problem" data-testid="credentials-status" data-configured="false">
          Not configured{status.problem ? `: ${status.problem}` : ''}
        </p>
      )}
      {status && status.credentials.length > 0 && (
        <table className="settings-table">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Source</th>
              <th>Prefix</th>
              <th>Expiry</th>
              <th>Notes</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {status.credentials.map((c) => (
              <CredentialRow key={c.id} credential={c} active={status.active === c.id} onRemove={(id) => void remove(id)} />
            ))}
          </tbody>
        </table>
      )}
      {status && (
        <p className="muted" data-testid="key-storage" data-kind={status.keyStorage}>
          Credentials added here are encrypted (AES-256-GCM); the key is in {KEY_STORAGE[status.keyStorage]}.
        </p>
      )}
      <h3>Add API key / setup-token</h3>
      <CredentialForm onAdded={() => void load()} />
    </section>
  );
}
