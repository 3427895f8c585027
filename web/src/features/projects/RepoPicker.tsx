import { useEffect, useState } from 'react';
import type { ImportRequestBody, ProjectView, RepoView } from '../../shared/api/types';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { githubApi } from '../github/githubApi';
import { openProject } from '../nav/nav';
import { repoKey } from './repository';

interface RepoPickerProps {
  login: string | null;
  projects: ProjectView[] | null;
  busy: boolean;
  onImport: (body: ImportRequestBody) => Promise<unknown>;
}

/** The connected GitHub user's repositories, a page at a time; Import is one click. */
export function RepoPicker({ login, projects, busy, onImport }: RepoPickerProps) {
  const [repos, setRepos] = useState<RepoView[] | null>(null);
  const [page, setPage] = useState(1);
  const [more, setMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    let live = true;
    githubApi.repos(1).then(
      (list) => {
        if (!live) return;
        setRepos(list);
        setMore(list.length > 0);
      },
      (err: unknown) => {
        if (!live) return;
        setRepos([]);
        setError(shownError(err));
      },
    );
    return () => {
      live = false;
    };
  }, [login]);

  const loadMore = async () => {
    setLoading(true);
    try {
      const list = await githubApi.repos(page + 1);
      setPage(page + 1);
      setMore(list.length > 0);
      setRepos((r) => [...(r ?? []), ...list.filter((x) => !r?.some((y) => y.fullName === x.fullName))]);
    } catch (err) {
      setError(shownError(err));
    } finally {
      setLoading(false);
    }
  };

  const imported = new Map<string, ProjectView>();
  for (const p of projects ?? []) {
    const key = repoKey(p.owner, p.repo);
    if (key) imported.set(key, p);
  }
  const needle = filter.trim().toLowerCase();
  const shown = (repos ?? []).filter((r) => needle === '' || r.fullName.toLowerCase().includes(needle));

  return (
    <section className="repo-picker" data-testid="repo-picker">
      <header className="repo-picker-header">
        <h2>Your repositories{login ? ` (@${login})` : ''}</h2>
        <input className="filter-input" data-testid="repo-filter" placeholder="Filter…" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </header>
      <ErrorLine error={error} testId="repo-error" />
      {repos === null ? (
        <p className="muted">Loading repositories…</p>
      ) : shown.length === 0 ? (
        <p className="muted">{repos.length === 0 ? 'No repositories.' : 'No repository matches.'}</p>
      ) : (
        <ul className="repo-list">
          {shown.map((r) => {
            const project = imported.get(r.fullName.toLowerCase());
            return (
              <li key={r.fullName} className="repo-item" data-testid={`repo-${r.fullName}`}>
                <span className="repo-name">
                  {r.fullName}
                  {r.private && <span className="private-chip">private</span>}
                </span>
                <span className="repo-desc muted">{r.description}</span>
                {project ? (
                  <button className="small-button" data-testid={`repo-open-${r.fullName}`} onClick={() => openProject(project.id)}>
                    Open
                  </button>
                ) : (
                  <button
                    className="small-button accent"
                    data-testid={`repo-import-${r.fullName}`}
                    disabled={busy}
                    onClick={() => void onImport({ repository: r.fullName, shallow: false })}
                  >
                    Import
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {repos !== null && more && repos.length > 0 && (
        <button className="small-button" data-testid="repo-more" disabled={loading} onClick={() => void loadMore()}>
          {loading ? 'Loading…' : 'More repositories'}
        </button>
      )}
    </section>
  );
}
