import { type FormEvent, useEffect, useState } from 'react';
import { ApiError } from '../../shared/api/errors';
import type { CredentialMode, SandboxView } from '../../shared/api/types';
import { Field } from '../../shared/ui/Field';
import { Modal } from '../../shared/ui/Modal';
import { claudeApi } from '../settings/settingsApi';
import { sandboxesApi } from './sandboxesApi';
import { DEFAULT_IMAGE, type FormErrors, type SandboxForm, buildRequest, emptyForm, validateName } from './validation';
import { ModalActions } from '../../shared/ui/ModalActions';

interface NewSandboxDialogProps {
  onClose: () => void;
  onCreated: (sandbox: SandboxView) => void;
}

/** The "New sandbox" form: validated like the server; server errors are shown inline. */
export function NewSandboxDialog({ onClose, onCreated }: NewSandboxDialogProps) {
  const [form, setForm] = useState<SandboxForm>(emptyForm);
  const [errors, setErrors] = useState<FormErrors>({});
  const [serverError, setServerError] = useState<{ code: string; message: string } | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [defaultMode, setDefaultMode] = useState<CredentialMode>('proxy');
  useEffect(() => {
    claudeApi.status().then((s) => setDefaultMode(s.defaultCredentialMode), () => undefined);
  }, []);
  const credentialMode = form.credentialMode || defaultMode;

  const set = (key: keyof SandboxForm) => (value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
    setServerError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const built = buildRequest(form);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setSubmitting(true);
    setServerError(null);
    try {
      onCreated(await sandboxesApi.create(built.request));
    } catch (error) {
      const { code, message } = error instanceof ApiError ? error : { code: 'error', message: String(error) };
      setServerError({ code, message });
      setSubmitting(false);
    }
  };

  return (
    <Modal title="New sandbox" onClose={onClose} testId="new-sandbox-dialog">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Name" error={errors.name} hint="1–63 letters, digits, - _ . (starts with a letter or digit)">
          <input
            data-testid="sandbox-name"
            value={form.name}
            autoFocus
            spellCheck={false}
            maxLength={100}
            onChange={(e) => set('name')(e.target.value)}
            onBlur={() => form.name !== '' && setErrors((x) => ({ ...x, name: validateName(form.name) ?? undefined }))}
          />
        </Field>
        <Field label="Image" error={errors.image}>
          <input data-testid="sandbox-image" value={form.image} placeholder={DEFAULT_IMAGE} spellCheck={false} onChange={(e) => set('image')(e.target.value)} />
        </Field>
        <div className="form-row">
          <Field label="CPUs" error={errors.cpus}>
            <input data-testid="sandbox-cpus" inputMode="decimal" value={form.cpus} placeholder="default" onChange={(e) => set('cpus')(e.target.value)} />
          </Field>
          <Field label="Memory (MB)" error={errors.memoryMb}>
            <input data-testid="sandbox-memory" inputMode="numeric" value={form.memoryMb} placeholder="default" onChange={(e) => set('memoryMb')(e.target.value)} />
          </Field>
          <Field label="Processes" error={errors.pids}>
            <input data-testid="sandbox-pids" inputMode="numeric" value={form.pids} placeholder="default" onChange={(e) => set('pids')(e.target.value)} />
          </Field>
        </div>
        <Field label="Network">
          <select data-testid="sandbox-network" value={form.network} onChange={(e) => set('network')(e.target.value)}>
            <option value="none">none — egress only through the allowlist proxy</option>
            <option value="bridge">bridge — unrestricted network</option>
          </select>
        </Field>
        {form.network === 'bridge' && (
          <p className="form-warning" data-testid="sandbox-network-warning">
            Bridge gives the sandbox unrestricted network access (the egress allowlist does not apply).
          </p>
        )}
        <Field label="Model credential">
          <select data-testid="sandbox-credential-mode" value={credentialMode} onChange={(e) => set('credentialMode')(e.target.value)}>
            <option value="proxy">proxy — the credential stays on this machine; the sandbox gets its own token</option>
            <option value="direct">direct — the credential in the environment of each process in the sandbox</option>
          </select>
        </Field>
        {credentialMode === 'direct' && (
          <p className="form-warning" data-testid="sandbox-credential-warning">
            Anything running in this sandbox can read your Anthropic credential (it is never written to disk).
          </p>
        )}
        {serverError && (
          <p className="form-error" role="alert" data-testid="sandbox-error" data-code={serverError.code}>
            <span className="toast-code">{serverError.code}</span> {serverError.message}
          </p>
        )}
        <ModalActions onCancel={onClose} busy={submitting} label="Create" busyLabel="Creating…" testId="sandbox-create" />
      </form>
    </Modal>
  );
}
