import { type FormEvent, useState } from 'react';
import type { PullView } from '../../shared/api/types';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { Field } from '../../shared/ui/Field';
import { Modal } from '../../shared/ui/Modal';
import { pullsApi } from './projectsApi';
import { upsertPull } from './projectStore';
import { ModalActions } from '../../shared/ui/ModalActions';

type Method = 'merge' | 'squash' | 'rebase';

const METHODS: { value: Method; label: string }[] = [
  { value: 'merge', label: 'Create a merge commit' },
  { value: 'squash', label: 'Squash and merge' },
  { value: 'rebase', label: 'Rebase and merge' },
];

/** Merge a pull request on the forge: method, optional commit title, delete the branch after. */
export function MergeDialog({ pr, onClose }: { pr: PullView; onClose: () => void }) {
  const [method, setMethod] = useState<Method>('merge');
  const [commitTitle, setCommitTitle] = useState('');
  const [deleteBranch, setDeleteBranch] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const merged = await pullsApi.merge(pr.number, {
        projectId: pr.projectId,
        mergeMethod: method,
        commitTitle: commitTitle.trim() || null,
        deleteBranch,
      });
      upsertPull(merged);
      onClose();
    } catch (err) {
      setError(shownError(err));
      setBusy(false);
    }
  };

  return (
    <Modal title={`Merge #${pr.number} into ${pr.base}`} onClose={onClose} testId="merge-dialog">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <p className="modal-text">
          {pr.title} <span className="muted">({pr.head} → {pr.base})</span>
        </p>
        <Field label="Method">
          <select data-testid="merge-method" value={method} onChange={(e) => setMethod(e.target.value as Method)}>
            {METHODS.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </Field>
        {method !== 'rebase' && (
          <Field label="Commit title" hint="optional; the forge's default otherwise">
            <input data-testid="merge-title" value={commitTitle} placeholder={`Merge pull request #${pr.number}`} onChange={(e) => setCommitTitle(e.target.value)} />
          </Field>
        )}
        <label className="checkbox-field">
          <input type="checkbox" data-testid="merge-delete-branch" checked={deleteBranch} onChange={(e) => setDeleteBranch(e.target.checked)} />
          Delete branch <code>{pr.head}</code> after merging
        </label>
        <ErrorLine error={error} testId="merge-error" />
        <ModalActions onCancel={onClose} busy={busy} label="Merge" busyLabel="Merging…" testId="merge-submit" />
      </form>
    </Modal>
  );
}
