import { type FormEvent, useState } from 'react';
import { ApiError } from '../../shared/api/errors';
import type { AddCredentialRequest } from '../../shared/api/types';
import { credentialsApi } from './settingsApi';

type StoredKind = AddCredentialRequest['kind'];

/**
 * "Add API key / setup-token". The secret lives only in this input until submitted; the input is
 * cleared after every submit (success or not) and the server only ever shows its prefix back.
 */
export function CredentialForm({ onAdded }: { onAdded: () => void }) {
  const [kind, setKind] = useState<StoredKind>('api_key');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const secret = value.trim();
    if (!secret) return;
    setValue('');
    setBusy(true);
    setError(null);
    try {
      await credentialsApi.add({ kind, value: secret });
      onAdded();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="credential-form" onSubmit={(e) => void submit(e)} autoComplete="off">
      <label>
        Kind
        <select data-testid="credential-kind" value={kind} onChange={(e) => setKind(e.target.value as StoredKind)}>
          <option value="api_key">API key (sk-ant-api…)</option>
          <option value="oauth_token">Setup token (claude setup-token)</option>
        </select>
      </label>
      <label className="credential-value">
        Value
        <input
          data-testid="credential-value"
          type="password"
          value={value}
          autoComplete="off"
          spellCheck={false}
          placeholder={kind === 'api_key' ? 'sk-ant-api03-…' : 'sk-ant-oat01-…'}
          onChange={(e) => setValue(e.target.value)}
        />
      </label>
      <button className="primary-button" data-testid="credential-add" type="submit" disabled={busy || value.trim() === ''}>
        {busy ? 'Adding…' : 'Add'}
      </button>
      {error && (
        <p className="form-error" role="alert" data-testid="credential-error">
          {error}
        </p>
      )}
    </form>
  );
}
