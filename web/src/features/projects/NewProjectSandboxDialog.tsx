import { type FormEvent, useState } from 'react';
import type { BranchView, NetworkMode, ProjectView, SandboxView } from '../../shared/api/types';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { Field } from '../../shared/ui/Field';
import { Modal } from '../../shared/ui/Modal';
import { sandboxesApi } from '../sandboxes/sandboxesApi';
import { validateName } from '../sandboxes/validation';
import { defaultBranchFor, validateBranchName } from '../../shared/git/branchName';
import { ModalActions } from '../../shared/ui/ModalActions';

interface NewProjectSandboxDialogProps {
  project: ProjectView;
  branches: BranchView[] | null;
  onClose: () => void;
  onCreated: (sandbox: SandboxView) => void;
}

/**
 * A sandbox for a project: its own checkout on a new branch (validated like a Git ref; the
 * server checks again) from a base branch; setup runs in a terminal named `setup`.
 */
export function NewProjectSandboxDialog({ project, branches, onClose, onCreated }: NewProjectSandboxDialogProps) {
  const [name, setName] = useState('');
  const [branch, setBranch] = useState('');
  const [base, setBase] = useState(project.defaultBranch);
  const [setup, setSetup] = useState(true);
  const [network, setNetwork] = useState<NetworkMode>('none');
  const [errors, setErrors] = useState<{ name?: string; branch?: string }>({});
  const [serverError, setServerError] = useState<ShownError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const bases = [...new Set([project.defaultBranch, ...(branches ?? []).map((b) => b.name)])];
  const effectiveBranch = branch.trim() || (name.trim() ? defaultBranchFor(name) : '');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const next = {
      name: validateName(name) ?? undefined,
      branch: branch.trim() === '' ? undefined : (validateBranchName(branch.trim()) ?? undefined),
    };
    setErrors(next);
    if (next.name || next.branch) return;
    setSubmitting(true);
    setServerError(null);
    try {
      const made = await sandboxesApi.create({
        name: name.trim(),
        network,
        projectId: project.id,
        branch: branch.trim() || null,
        base,
        setup,
      });
      onCreated(made);
    } catch (err) {
      setServerError(shownError(err));
      setSubmitting(false);
    }
  };

  return (
    <Modal title={`New sandbox for ${project.name}`} onClose={onClose} testId="project-sandbox-dialog">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Name" error={errors.name} hint="1–63 letters, digits, - _ . (starts with a letter or digit)">
          <input
            data-testid="project-sandbox-name"
            value={name}
            autoFocus
            spellCheck={false}
            maxLength={100}
            onChange={(e) => {
              setName(e.target.value);
              setErrors((x) => ({ ...x, name: undefined }));
              setServerError(null);
            }}
          />
        </Field>
        <div className="form-row">
          <Field label="New branch" error={errors.branch} hint={effectiveBranch ? `the sandbox works on ${effectiveBranch}` : 'default anycode/<name>'}>
            <input
              data-testid="project-sandbox-branch"
              value={branch}
              spellCheck={false}
              placeholder={name.trim() ? defaultBranchFor(name) : 'anycode/<name>'}
              onChange={(e) => {
                setBranch(e.target.value);
                setErrors((x) => ({ ...x, branch: undefined }));
                setServerError(null);
              }}
              onBlur={() => branch.trim() !== '' && setErrors((x) => ({ ...x, branch: validateBranchName(branch.trim()) ?? undefined }))}
            />
          </Field>
          <Field label="Base branch">
            <select data-testid="project-sandbox-base" value={base} onChange={(e) => setBase(e.target.value)}>
              {bases.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field label="Network">
          <select data-testid="project-sandbox-network" value={network} onChange={(e) => setNetwork(e.target.value as NetworkMode)}>
            <option value="none">none — egress only through the allowlist proxy</option>
            <option value="bridge">bridge — unrestricted network</option>
          </select>
        </Field>
        <label className="checkbox-field">
          <input type="checkbox" data-testid="project-sandbox-setup" checked={setup} onChange={(e) => setSetup(e.target.checked)} />
          Run the project's setup ({project.detected?.setupFile ?? (project.detected?.setupCommands.length ? 'detected commands' : 'nothing detected')})
        </label>
        <ErrorLine error={serverError} testId="project-sandbox-error" />
        <ModalActions onCancel={onClose} busy={submitting} label="Create" busyLabel="Creating…" testId="project-sandbox-create" />
      </form>
    </Modal>
  );
}
