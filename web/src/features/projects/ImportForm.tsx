import { type FormEvent, useState } from 'react';
import type { ImportRequestBody } from '../../shared/api/types';
import { ErrorLine } from '../../shared/ui/ErrorLine';
import { Field } from '../../shared/ui/Field';
import { openProject } from '../nav/nav';
import { validateBranchName } from '../../shared/git/branchName';
import { guessRepository } from './repository';
import type { ImportState } from './useImport';

interface ImportFormProps {
  state: ImportState;
  onImport: (body: ImportRequestBody) => Promise<unknown>;
  onEdit: () => void;
}

/** Paste `owner/repo`, a Git URL or a local path; optionally one branch and a shallow fetch. */
export function ImportForm({ state, onImport, onEdit }: ImportFormProps) {
  const [repository, setRepository] = useState('');
  const [branch, setBranch] = useState('');
  const [shallow, setShallow] = useState(false);
  const [errors, setErrors] = useState<{ repository?: string; branch?: string }>({});
  const guess = guessRepository(repository);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const next: typeof errors = {};
    if (!guess) next.repository = 'A repository is required.';
    else if (guess.kind === 'invalid') next.repository = guess.error;
    const b = branch.trim();
    if (b !== '') next.branch = validateBranchName(b) ?? undefined;
    setErrors(next);
    if (next.repository || next.branch) return;
    await onImport({ repository: repository.trim(), branch: b || null, shallow });
  };

  const busy = state.importing !== null;
  return (
    <form className="form import-form" onSubmit={(e) => void submit(e)} noValidate data-testid="import-form">
      <div className="form-row">
        <Field
          label="Repository"
          error={errors.repository}
          hint={guess && guess.kind !== 'invalid' ? guess.label : 'owner/repo, a GitHub or Git URL (https, ssh, file://), or a local path'}
        >
          <input
            data-testid="import-repository"
            value={repository}
            spellCheck={false}
            placeholder="owner/repo"
            onChange={(e) => {
              setRepository(e.target.value);
              setErrors((x) => ({ ...x, repository: undefined }));
              onEdit();
            }}
          />
        </Field>
        <Field label="Branch" error={errors.branch} hint="optional: import only this branch">
          <input
            data-testid="import-branch"
            value={branch}
            spellCheck={false}
            placeholder="default branch"
            onChange={(e) => {
              setBranch(e.target.value);
              setErrors((x) => ({ ...x, branch: undefined }));
            }}
          />
        </Field>
      </div>
      <div className="import-actions">
        <label className="checkbox-field">
          <input type="checkbox" data-testid="import-shallow" checked={shallow} onChange={(e) => setShallow(e.target.checked)} />
          Shallow (latest commit only)
        </label>
        <span className="top-bar-spacer" />
        <button type="submit" className="primary-button" data-testid="import-submit" disabled={busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </div>
      {state.importing && (
        <p className="import-progress" role="status" data-testid="import-progress">
          <span className="spinner" aria-hidden /> Importing {state.importing}… (cloning the mirror; large repositories take a while)
        </p>
      )}
      <ErrorLine error={state.error} testId="import-error" />
      {state.done && (
        <p className="import-done" data-testid="import-done">
          Imported <strong>{state.done.name}</strong>.{' '}
          <button type="button" className="link-button" data-testid="import-open" onClick={() => state.done && openProject(state.done.id)}>
            Open project
          </button>
        </p>
      )}
    </form>
  );
}
