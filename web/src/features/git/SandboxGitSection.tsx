import { useState } from 'react';
import type { SandboxGitView, SandboxView } from '../../shared/api/types';
import { showToast } from '../../shared/ui/toasts';
import { openProject } from '../nav/nav';
import { ConflictList } from '../projects/ConflictList';
import { PullStatus } from '../projects/PullStatus';
import { sandboxPull, shortSha } from '../projects/projectFormat';
import { type SetupState, useProjects } from '../projects/projectStore';
import { setupLabel } from '../projects/setupState';
import { ChangesDialog } from './ChangesDialog';
import { CommitDialog } from './CommitDialog';
import { CreatePrDialog } from './CreatePrDialog';
import { FilesDialog } from './FilesDialog';
import { gitApi } from './gitApi';

interface SandboxGitSectionProps {
  sandbox: SandboxView;
  git: SandboxGitView;
  /** Git work runs inside the sandbox: only while it is up. */
  live: boolean;
  setup: SetupState | null;
  onOpenTab?: (terminalId: string) => void;
}

type Dialog = 'changes' | 'files' | 'commit' | 'pr' | null;

/**
 * The project part of a sandbox card: project and branch, setup state (with its terminal), the
 * sandbox's pull request, conflict warnings, and the Git actions (changes, files, commit, push,
 * create PR).
 */
export function SandboxGitSection({ sandbox: s, git, live, setup, onOpenTab }: SandboxGitSectionProps) {
  const [dialog, setDialog] = useState<Dialog>(null);
  const [pushing, setPushing] = useState(false);
  const { list: projects, pulls, draftConflicts } = useProjects();
  const project = projects?.find((p) => p.id === git.projectId) ?? null;
  const pr = sandboxPull(pulls.values(), s.id);
  const openPr = pr?.state === 'open' ? pr : null;
  const conflicts = openPr ? openPr.conflicts : (draftConflicts.get(s.id) ?? []);
  const conflictBase = openPr?.base ?? git.baseRef;

  const push = async () => {
    setPushing(true);
    try {
      const r = await gitApi.push(s.id);
      showToast({ kind: 'info', message: `Pushed ${r.branch} (${shortSha(r.sha)})` });
    } catch {
      // toast
    } finally {
      setPushing(false);
    }
  };

  return (
    <div className="sandbox-git" data-testid={`sandbox-git-${s.name}`}>
      <dl className="sandbox-facts">
        <dt>Project</dt>
        <dd>
          <button className="link-button" data-testid={`sandbox-project-${s.name}`} onClick={() => openProject(git.projectId)}>
            {project?.name ?? git.projectId.slice(0, 8)}
          </button>
        </dd>
        <dt>Branch</dt>
        <dd className="ellipsis-full" data-testid={`sandbox-branch-${s.name}`} title={`${git.branch} from ${git.baseRef} (${shortSha(git.baseSha)})`}>
          {git.branch} <span className="muted">← {git.baseRef}</span>
        </dd>
      </dl>
      {setup && (
        <div className={`setup-state setup-${setup.state}`} data-testid={`sandbox-setup-${s.name}`} data-state={setup.state}>
          <span className="status-dot" aria-hidden />
          {setupLabel(setup)}
          {setup.terminalId && onOpenTab && (
            <button className="link-button" data-testid={`sandbox-setup-open-${s.name}`} onClick={() => onOpenTab(setup.terminalId)}>
              open terminal
            </button>
          )}
        </div>
      )}
      {conflicts.length > 0 && <ConflictList files={conflicts} base={conflictBase} testId={`sandbox-conflicts-${s.name}`} />}
      {pr && <PullStatus pr={pr} testId={`sandbox-pr-${s.name}`} compact />}
      <div className="sandbox-actions">
        <button className="small-button" data-testid={`sandbox-changes-${s.name}`} disabled={!live} onClick={() => setDialog('changes')}>
          Changes
        </button>
        <button className="small-button" data-testid={`sandbox-files-${s.name}`} disabled={!live} onClick={() => setDialog('files')}>
          Files
        </button>
        <button className="small-button" data-testid={`sandbox-commit-${s.name}`} disabled={!live} onClick={() => setDialog('commit')}>
          Commit
        </button>
        <button className="small-button" data-testid={`sandbox-push-${s.name}`} disabled={!live || pushing} onClick={() => void push()}>
          {pushing ? 'Pushing…' : 'Push'}
        </button>
        {!openPr && (
          <button className="small-button accent" data-testid={`sandbox-create-pr-${s.name}`} disabled={!live} onClick={() => setDialog('pr')}>
            Create PR
          </button>
        )}
      </div>
      {dialog === 'changes' && <ChangesDialog sandboxId={s.id} title={`Changes in ${s.name} (${git.branch})`} onClose={() => setDialog(null)} />}
      {dialog === 'files' && <FilesDialog sandboxId={s.id} title={`Files of ${s.name}`} onClose={() => setDialog(null)} />}
      {dialog === 'commit' && <CommitDialog sandboxId={s.id} branch={git.branch} onClose={() => setDialog(null)} />}
      {dialog === 'pr' && (
        <CreatePrDialog sandboxId={s.id} projectId={git.projectId} head={git.branch} defaultBase={git.baseRef} onClose={() => setDialog(null)} />
      )}
    </div>
  );
}
