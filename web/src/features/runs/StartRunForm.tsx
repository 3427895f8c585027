import { type FormEvent, useState } from 'react';
import { ApiError } from '../../shared/api/errors';
import type { RunView, SandboxView } from '../../shared/api/types';
import { runsApi } from './runsApi';
import { upsertRun } from './runStore';

const MODES = [
  ['', 'default — tools that need permission are denied'],
  ['acceptEdits', 'acceptEdits — file edits allowed'],
  ['plan', 'plan — read-only planning'],
  ['bypassPermissions', 'bypassPermissions — everything allowed'],
] as const;

/** Sandboxes a run can start in (the server wakes a paused one). */
function usable(s: SandboxView): boolean {
  return s.status === 'ready' || s.status === 'running' || s.status === 'paused';
}

/** Prompt + sandbox (+ permission mode) → `POST /api/sandboxes/:id/runs`; errors inline. */
export function StartRunForm({ sandboxes, onStarted }: { sandboxes: SandboxView[] | null; onStarted: (run: RunView) => void }) {
  const [sandboxId, setSandboxId] = useState('');
  const [prompt, setPrompt] = useState('');
  const [mode, setMode] = useState('');
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const choices = (sandboxes ?? []).filter(usable);
  const chosen = choices.some((s) => s.id === sandboxId) ? sandboxId : (choices[0]?.id ?? '');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (chosen === '' || prompt.trim() === '') return;
    setBusy(true);
    setError(null);
    try {
      const run = await runsApi.start(chosen, { prompt, ...(mode ? { permissionMode: mode } : {}) });
      upsertRun(run);
      setPrompt('');
      onStarted(run);
    } catch (err) {
      setError(err instanceof ApiError ? { code: err.code, message: err.message } : { code: 'error', message: String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form run-form" onSubmit={(e) => void submit(e)} data-testid="run-form">
      <div className="form-row">
        <label className="field">
          <span className="field-label">Sandbox</span>
          <select data-testid="run-sandbox" value={chosen} onChange={(e) => setSandboxId(e.target.value)} disabled={choices.length === 0}>
            {choices.length === 0 && <option value="">No running sandbox</option>}
            {choices.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Permissions</span>
          <select data-testid="run-permission-mode" value={mode} onChange={(e) => setMode(e.target.value)}>
            {MODES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="field">
        <span className="field-label">Prompt</span>
        <textarea
          data-testid="run-prompt"
          rows={3}
          value={prompt}
          placeholder="What should Claude do? It runs headless (claude -p) in the sandbox's /workspace."
          onChange={(e) => {
            setPrompt(e.target.value);
            setError(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void submit(e);
          }}
        />
      </label>
      {error && (
        <p className="form-error" role="alert" data-testid="run-error" data-code={error.code}>
          <span className="toast-code">{error.code}</span> {error.message}
        </p>
      )}
      <div className="run-form-actions">
        <button type="submit" className="primary-button" data-testid="run-start" disabled={busy || chosen === '' || prompt.trim() === ''}>
          {busy ? 'Starting…' : 'Start run'}
        </button>
        <span className="field-hint">Ctrl+Enter</span>
      </div>
    </form>
  );
}
