import { type FormEvent, useEffect, useState } from 'react';
import type { BranchView, DiffPageView, FileStatView, PrDraftView, PullView } from '../../shared/api/types';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { Field } from '../../shared/ui/Field';
import { Modal } from '../../shared/ui/Modal';
import { ConflictList } from '../projects/ConflictList';
import { PullBadge } from '../projects/PullBadge';
import { formatDiffstat, plural, shortSha } from '../projects/projectFormat';
import { projectsApi, pullsApi } from '../projects/projectsApi';
import { pullKey, setDraftConflicts, upsertPull, useProjects } from '../projects/projectStore';
import { statusLetter } from './diffRows';
import { gitApi } from './gitApi';

interface CreatePrDialogProps {
  sandboxId: string;
  projectId: string;
  head: string;
  defaultBase: string;
  onClose: () => void;
}

/**
 * "Create PR": a drafted title and description (from the commits and the diffstat) to edit, the
 * base to merge into, draft or not; shows the commits, the files, what is not committed yet (it
 * will be) and the files that would conflict with the base.
 */
export function CreatePrDialog({ sandboxId, projectId, head, defaultBase, onClose }: CreatePrDialogProps) {
  const [base, setBase] = useState(defaultBase);
  const [loaded, setLoaded] = useState<{ base: string; draft: PrDraftView | null; error: ShownError | null } | null>(null);
  const [branches, setBranches] = useState<BranchView[] | null>(null);
  const [title, setTitle] = useState<string | null>(null);
  const [body, setBody] = useState<string | null>(null);
  const [asDraft, setAsDraft] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const [created, setCreated] = useState<PullView | null>(null);
  const { pulls } = useProjects();

  useEffect(() => {
    let live = true;
    gitApi.prDraft(sandboxId, base).then(
      (draft) => {
        if (!live) return;
        setLoaded({ base, draft, error: null });
        setDraftConflicts(sandboxId, draft.conflicts);
      },
      (err: unknown) => live && setLoaded({ base, draft: null, error: shownError(err) }),
    );
    return () => {
      live = false;
    };
  }, [sandboxId, base]);

  useEffect(() => {
    projectsApi.branches(projectId).then(setBranches, () => setBranches([]));
  }, [projectId]);

  // The draft only sees commits; the working tree's diff shows what the PR will hold once the
  // pending work is committed with it.
  const [work, setWork] = useState<DiffPageView | null>(null);
  useEffect(() => {
    gitApi.diff(sandboxId, 0, 100).then(setWork, () => setWork(null));
  }, [sandboxId]);

  const current = loaded?.base === base ? loaded : null;
  const draft = current?.draft ?? null;
  // Until the user edits them, title and body follow the latest draft.
  const shownTitle = title ?? draft?.title ?? '';
  const shownBody = body ?? draft?.body ?? '';
  const baseChoices = [...new Set([defaultBase, base, ...(branches ?? []).map((b) => b.name)])].filter((b) => b !== head);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (shownTitle.trim() === '') {
      setError({ code: 'invalid_request', message: 'A title is required.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const pr = await pullsApi.create({ projectId, sandboxId, title: shownTitle.trim(), body: shownBody, base, head, draft: asDraft });
      upsertPull(pr);
      setCreated(pr);
    } catch (err) {
      setError(shownError(err));
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    const live = pulls.get(pullKey(created.projectId, created.number)) ?? created;
    return (
      <Modal title="Pull request created" onClose={onClose} testId="create-pr-dialog">
        <div className="pr-created" data-testid="pr-created" data-number={live.number}>
          <p>
            <a href={live.url} target="_blank" rel="noreferrer" data-testid="pr-created-link">
              #{live.number} {live.title}
            </a>{' '}
            <PullBadge pr={live} testId="pr-created-state" />
          </p>
          <p className="muted">
            {live.head} → {live.base}
          </p>
          {live.conflicts.length > 0 && <ConflictList files={live.conflicts} base={live.base} testId="pr-created-conflicts" />}
        </div>
        <div className="modal-actions">
          <button className="primary-button" data-testid="pr-created-close" onClick={onClose}>
            Done
          </button>
        </div>
      </Modal>
    );
  }

  return (
    <Modal title={`Create pull request from ${head}`} onClose={onClose} wide testId="create-pr-dialog">
      <form className="form pr-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="form-row">
          <Field label="Base branch" hint={`merge ${head} into it`}>
            <select data-testid="pr-base" value={base} onChange={(e) => setBase(e.target.value)}>
              {baseChoices.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </Field>
          <label className="checkbox-field">
            <input type="checkbox" data-testid="pr-draft-toggle" checked={asDraft} onChange={(e) => setAsDraft(e.target.checked)} />
            Open as draft
          </label>
        </div>
        <ErrorLine error={current?.error ?? null} testId="pr-draft-error" />
        {current === null && <p className="muted" data-testid="pr-draft-loading">Drafting from the commits and the changes…</p>}
        {draft && (
          <>
            {draft.conflicts.length > 0 && <ConflictList files={draft.conflicts} base={draft.base} testId="pr-conflicts" />}
            {draft.uncommitted > 0 && (
              <p className="form-warning" data-testid="pr-uncommitted">
                {plural(draft.uncommitted, 'uncommitted file')}: will be committed and pushed with the pull request.
              </p>
            )}
          </>
        )}
        <Field label="Title">
          <input data-testid="pr-title" value={shownTitle} disabled={current === null && title === null} onChange={(e) => setTitle(e.target.value)} />
        </Field>
        <Field label="Description">
          <textarea data-testid="pr-body" rows={8} value={shownBody} disabled={current === null && body === null} onChange={(e) => setBody(e.target.value)} />
        </Field>
        {draft && (
          <div className="pr-summary">
            <section data-testid="pr-commits">
              <h4>{plural(draft.commits.length, 'commit')}</h4>
              <ul>
                {draft.commits.map((c) => (
                  <li key={c.sha}>
                    <code>{shortSha(c.sha)}</code> {c.subject} <span className="muted">— {c.authorName}</span>
                  </li>
                ))}
              </ul>
            </section>
            {draft.uncommitted > 0 && work ? (
              <PrFiles files={work.files} total={work.totalFiles} additions={work.additions} deletions={work.deletions} note="with the uncommitted work" />
            ) : (
              <PrFiles
                files={draft.files}
                total={draft.files.length}
                additions={draft.files.reduce((n, f) => n + f.additions, 0)}
                deletions={draft.files.reduce((n, f) => n + f.deletions, 0)}
              />
            )}
          </div>
        )}
        <ErrorLine error={error} testId="pr-error" />
        <div className="modal-actions">
          <button type="button" className="small-button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary-button" data-testid="pr-submit" disabled={busy || current === null}>
            {busy ? 'Creating…' : asDraft ? 'Create draft pull request' : 'Create pull request'}
          </button>
        </div>
      </form>
    </Modal>
  );
}


interface PrFilesProps {
  files: FileStatView[];
  total: number;
  additions: number;
  deletions: number;
  note?: string;
}

/** The diffstat of the pull request: files with their status and line counts. */
function PrFiles({ files, total, additions, deletions, note }: PrFilesProps) {
  return (
    <section data-testid="pr-files">
      <h4>
        {plural(total, 'file')} changed <span className="diff-stat">{formatDiffstat(additions, deletions)}</span>
        {note && <span className="muted"> ({note})</span>}
      </h4>
      <ul>
        {files.map((f) => (
          <li key={f.path} data-path={f.path}>
            <span className={`diff-status diff-status-${f.status}`}>{statusLetter(f.status)}</span> {f.path}{' '}
            <span className="diff-stat">{f.binary ? 'bin' : formatDiffstat(f.additions, f.deletions)}</span>
          </li>
        ))}
        {total > files.length && <li className="muted">and {total - files.length} more</li>}
      </ul>
    </section>
  );
}
