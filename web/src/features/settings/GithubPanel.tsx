import { type FormEvent, useEffect, useState } from 'react';
import type { DeviceView } from '../../shared/api/types';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { githubApi } from '../github/githubApi';
import { canDisconnect, devicePending, deviceStatusText, githubSourceLabel } from '../github/githubFormat';
import { githubStore, refreshGithubAuth, useGithubAuth } from '../github/githubStore';

/** While a device code is pending the status is polled (besides `github_auth` events). */
const DEVICE_POLL_MS = 2_000;

/**
 * The GitHub connection: who AnyCode acts as (login, token source, prefix), sign in with the OAuth
 * device flow, paste a personal access token, disconnect. Tokens are stored encrypted on the
 * server; the page only ever sees their prefix.
 */
export function GithubPanel() {
  const auth = useGithubAuth();
  const [started, setStarted] = useState<DeviceView | null>(null);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState<'token' | 'device' | 'disconnect' | null>(null);
  const [error, setError] = useState<ShownError | null>(null);

  useEffect(() => {
    void refreshGithubAuth();
  }, []);

  const device = auth?.device ?? started;
  const pending = devicePending(auth) || (auth?.device == null && started?.status === 'pending' && !auth?.connected);
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => void refreshGithubAuth(), DEVICE_POLL_MS);
    return () => clearInterval(timer);
  }, [pending]);

  const submitToken = async (e: FormEvent) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return;
    setToken('');
    setBusy('token');
    setError(null);
    try {
      githubStore.set(await githubApi.setToken(value));
    } catch (err) {
      setError(shownError(err));
    } finally {
      setBusy(null);
    }
  };

  const startDevice = async () => {
    setBusy('device');
    setError(null);
    try {
      setStarted(await githubApi.startDevice());
      await refreshGithubAuth();
    } catch (err) {
      setError(shownError(err));
    } finally {
      setBusy(null);
    }
  };

  const disconnect = async () => {
    setBusy('disconnect');
    try {
      await githubApi.disconnect();
      setStarted(null);
    } catch {
      // toast
    } finally {
      setBusy(null);
      await refreshGithubAuth();
    }
  };

  return (
    <section className="settings-panel" data-testid="github-panel">
      <h2>GitHub</h2>
      {auth === null ? (
        <p className="muted">Loading…</p>
      ) : auth.connected ? (
        <p className="credential-status ok" data-testid="github-status" data-connected="true" data-login={auth.login ?? ''}>
          Connected{auth.login ? ` as @${auth.login}` : ''} with {githubSourceLabel(auth.source)}
          {auth.prefix && (
            <>
              {' '}
              <code data-testid="github-prefix">{auth.prefix}</code>
            </>
          )}
        </p>
      ) : (
        <p className="credential-status problem" data-testid="github-status" data-connected="false">
          Not connected: public repositories still import; private ones, pull requests and merges need GitHub access.
        </p>
      )}
      {auth && (
        <p className="muted github-api">
          API: <code>{auth.apiUrl}</code>
        </p>
      )}
      {auth && canDisconnect(auth) && (
        <button className="small-button danger" data-testid="github-disconnect" disabled={busy !== null} onClick={() => void disconnect()}>
          {busy === 'disconnect' ? 'Disconnecting…' : 'Disconnect'}
        </button>
      )}
      {auth?.connected && !canDisconnect(auth) && (
        <p className="muted">This token comes from the host; remove it there (unset GITHUB_TOKEN or `gh auth logout`) to disconnect.</p>
      )}

      <h3>Sign in with GitHub</h3>
      {auth && !auth.deviceFlowAvailable ? (
        <p className="muted" data-testid="github-device-unavailable">
          The device flow needs an OAuth app: start AnyCode with <code>--github-client-id</code>. Or paste a token below.
        </p>
      ) : (
        <div className="github-device">
          <button className="primary-button" data-testid="github-device-start" disabled={busy !== null || pending} onClick={() => void startDevice()}>
            {busy === 'device' ? 'Starting…' : 'Sign in with GitHub'}
          </button>
          {device && (
            <div className="device-box" data-testid="github-device" data-status={device.status}>
              {device.status === 'pending' && (
                <p>
                  Open{' '}
                  <a href={device.verificationUri} target="_blank" rel="noreferrer" data-testid="github-device-link">
                    {device.verificationUri}
                  </a>{' '}
                  and enter <code className="device-code" data-testid="github-device-code">{device.userCode}</code>
                </p>
              )}
              <p className={device.status === 'pending' || device.status === 'succeeded' ? 'muted' : 'form-error'}>
                {deviceStatusText(device.status)}
                {device.error ? ` ${device.error}` : ''}
              </p>
            </div>
          )}
        </div>
      )}

      <h3>Personal access token</h3>
      <form className="credential-form" onSubmit={(e) => void submitToken(e)} autoComplete="off">
        <label className="credential-value">
          Token (repo scope; stored encrypted, shown only as a prefix)
          <input
            data-testid="github-token"
            type="password"
            value={token}
            autoComplete="off"
            spellCheck={false}
            placeholder="ghp_… or github_pat_…"
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        <button className="primary-button" data-testid="github-token-submit" type="submit" disabled={busy !== null || token.trim() === ''}>
          {busy === 'token' ? 'Checking…' : 'Connect'}
        </button>
      </form>
      <ErrorLine error={error} testId="github-error" />
    </section>
  );
}
