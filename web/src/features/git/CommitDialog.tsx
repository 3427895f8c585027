import { type FormEvent, useState } from 'react';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { Field } from '../../shared/ui/Field';
import { Modal } from '../../shared/ui/Modal';
import { showToast } from '../../shared/ui/toasts';
import { shortSha } from '../projects/projectFormat';
import { gitApi } from './gitApi';
import { ModalActions } from '../../shared/ui/ModalActions';

interface CommitDialogProps {
  sandboxId: string;
  branch: string;
  onClose: () => void;
}

/** Commits everything pending in the sandbox's checkout (git runs inside the sandbox). */
export function CommitDialog({ sandboxId, branch, onClose }: CommitDialogProps) {
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (message.trim() === '') {
      setError({ code: 'invalid_request', message: 'A commit message is required.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { sha } = await gitApi.commit(sandboxId, message.trim());
      showToast({ kind: 'info', message: `Committed ${shortSha(sha)} on ${branch}` });
      onClose();
    } catch (err) {
      setError(shownError(err));
      setBusy(false);
    }
  };

  return (
    <Modal title={`Commit on ${branch}`} onClose={onClose} testId="commit-dialog">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Message">
          <textarea
            data-testid="commit-message"
            rows={4}
            value={message}
            autoFocus
            onChange={(e) => {
              setMessage(e.target.value);
              setError(null);
            }}
          />
        </Field>
        <ErrorLine error={error} testId="commit-error" />
        <ModalActions onCancel={onClose} busy={busy} label="Commit" busyLabel="Committing…" testId="commit-submit" />
      </form>
    </Modal>
  );
}
