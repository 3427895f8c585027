import { type FormEvent, useEffect, useState } from 'react';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { Field } from '../../shared/ui/Field';
import { Modal } from '../../shared/ui/Modal';
import { validateBranchName as branchProblem } from '../../shared/git/branchName';
import { type TaskForm, type TaskFormErrors, buildTaskRequest, emptyTaskForm } from './newTaskForm';
import { tasksApi } from './tasksApi';
import { type BranchView, type ProjectView, TASK_TYPES, type TaskType, type TaskView } from './taskTypes';

interface NewTaskDialogProps {
  projects: ProjectView[] | null;
  /** Preselected project (the board's filter). */
  projectId: string | null;
  onClose: () => void;
  onCreated: (task: TaskView) => void;
}

/** "New task": a prompt for a project, checked like the server checks it; errors inline. */
export function NewTaskDialog({ projects, projectId, onClose, onCreated }: NewTaskDialogProps) {
  const ready = (projects ?? []).filter((p) => p.status === 'ready');
  const initial = ready.find((p) => p.id === projectId) ?? ready[0] ?? null;
  const [typed, setForm] = useState<TaskForm>(() => emptyTaskForm(initial?.id ?? '', initial?.defaultBranch ?? ''));
  // Until a project is picked: the first one (the projects may arrive after the dialog opened).
  const form: TaskForm =
    typed.projectId === '' && initial ? { ...typed, projectId: initial.id, baseBranch: typed.baseBranch || initial.defaultBranch } : typed;
  const [errors, setErrors] = useState<TaskFormErrors>({});
  const [serverError, setServerError] = useState<ShownError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [branches, setBranches] = useState<{ projectId: string; list: BranchView[] } | null>(null);
  const project = ready.find((p) => p.id === form.projectId) ?? null;

  // The base branch picker lists the project's branches.
  useEffect(() => {
    if (form.projectId === '') return;
    let live = true;
    tasksApi.branches(form.projectId).then(
      (list) => live && setBranches({ projectId: form.projectId, list }),
      () => live && setBranches({ projectId: form.projectId, list: [] }),
    );
    return () => {
      live = false;
    };
  }, [form.projectId]);

  const bases = [
    ...new Set([project?.defaultBranch ?? '', ...(branches?.projectId === form.projectId ? branches.list.map((b) => b.name) : []), form.baseBranch].filter(Boolean)),
  ];

  const set = <K extends keyof TaskForm>(key: K, value: TaskForm[K]) => {
    setForm({ ...form, [key]: value });
    setErrors((e) => ({ ...e, [key]: undefined }));
    setServerError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const built = buildTaskRequest(form);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setSubmitting(true);
    setServerError(null);
    try {
      onCreated(await tasksApi.create(built.request));
    } catch (err) {
      setServerError(shownError(err));
      setSubmitting(false);
    }
  };

  return (
    <Modal title="New task" onClose={onClose} wide testId="new-task-dialog">
      <form className="form task-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="form-row">
          <Field label="Project" error={errors.projectId}>
            <select
              data-testid="task-project"
              value={form.projectId}
              onChange={(e) => {
                const p = ready.find((x) => x.id === e.target.value);
                setForm({ ...form, projectId: e.target.value, baseBranch: p?.defaultBranch ?? '' });
                setErrors((x) => ({ ...x, projectId: undefined, baseBranch: undefined, targetBranch: undefined }));
              }}
            >
              {ready.length === 0 && <option value="">{projects === null ? 'Loading…' : 'No projects yet: import one first'}</option>}
              {ready.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Type">
            <select data-testid="task-type" value={form.type} onChange={(e) => set('type', e.target.value as TaskType)}>
              {TASK_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field label="Title" hint="optional; defaults to the prompt's first line">
          <input data-testid="task-title" value={form.title} maxLength={200} onChange={(e) => set('title', e.target.value)} />
        </Field>
        <Field label="Prompt" error={errors.prompt}>
          <textarea
            data-testid="task-prompt"
            className="task-prompt-input"
            value={form.prompt}
            rows={6}
            autoFocus
            placeholder="What should the agent do?"
            onChange={(e) => set('prompt', e.target.value)}
          />
        </Field>
        <div className="form-row">
          <Field label="Base branch" error={errors.baseBranch}>
            <select data-testid="task-base" value={form.baseBranch} onChange={(e) => set('baseBranch', e.target.value)} disabled={!project}>
              {bases.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Target branch" error={errors.targetBranch} hint="optional; default anycode/task-<id>">
            <input
              data-testid="task-target"
              value={form.targetBranch}
              spellCheck={false}
              placeholder="anycode/task-<id>"
              onChange={(e) => set('targetBranch', e.target.value)}
              onBlur={() => {
                const t = form.targetBranch.trim();
                if (t !== '') setErrors((x) => ({ ...x, targetBranch: branchProblem(t) ?? (t === form.baseBranch ? 'It must differ from the base branch.' : undefined) }));
              }}
            />
          </Field>
        </div>
        <div className="form-row">
          <Field label="Priority" error={errors.priority} hint="-100…100; higher starts first">
            <input data-testid="task-priority" inputMode="numeric" value={form.priority} onChange={(e) => set('priority', e.target.value)} />
          </Field>
          <Field label="Timeout" error={errors.timeout} hint="minutes, or 30s / 45m / 2h; default 1 h">
            <input data-testid="task-timeout" value={form.timeout} placeholder="60" onChange={(e) => set('timeout', e.target.value)} />
          </Field>
        </div>
        <div className="task-toggles">
          <label className="checkbox-field">
            <input type="checkbox" data-testid="task-autopr" checked={form.autoPR} onChange={(e) => set('autoPR', e.target.checked)} />
            Open a pull request when pushed
            {project && project.kind !== 'forge' && form.autoPR && <span className="form-warning"> (this project is not on the forge: no PR can be opened)</span>}
          </label>
          <label className="checkbox-field">
            <input type="checkbox" data-testid="task-interactive" checked={form.interactive} onChange={(e) => set('interactive', e.target.checked)} />
            Interactive: claude in a terminal with the prompt; you mark it done
          </label>
        </div>
        <ErrorLine error={serverError} testId="task-create-error" />
        <div className="modal-actions">
          <button type="button" className="small-button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary-button" data-testid="task-create" disabled={submitting || !project}>
            {submitting ? 'Creating…' : 'Create task'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
