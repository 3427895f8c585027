import { Store, useStore } from '../../shared/store';

/**
 * Which main view is shown, mirrored in the URL hash so a reload stays put:
 * `#/terminals`, `#/terminals?sandbox=<id>` (tabs of one sandbox), `#/sandboxes`, `#/projects`,
 * `#/projects/<id>` (one project's page), `#/inbox`, `#/runs`, `#/tasks` (the task board),
 * `#/workflows`, `#/workflows/<id>` (one workflow; `new` for the editor of a new one) and
 * `#/settings`.
 */
export interface NavState {
  view: 'terminals' | 'sandboxes' | 'projects' | 'inbox' | 'runs' | 'tasks' | 'workflows' | 'settings';
  /** Only the terminals of this sandbox are listed in the tab bar. */
  sandboxFilter: string | null;
  /** The project whose page is open in the projects view (null: the list). */
  projectId?: string | null;
  /** The workflow whose page is open in the workflows view (null: the list; `new`: a new one). */
  workflowId?: string | null;
}

export function parseHash(hash: string): NavState {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  if (path === '/sandboxes' || path === '/inbox' || path === '/runs' || path === '/tasks' || path === '/settings') {
    return { view: path.slice(1) as NavState['view'], sandboxFilter: null };
  }
  if (path === '/projects' || path.startsWith('/projects/')) {
    const id = decodeURIComponent(path.slice('/projects/'.length));
    return { view: 'projects', sandboxFilter: null, projectId: path === '/projects' || id === '' ? null : id };
  }
  if (path === '/workflows' || path.startsWith('/workflows/')) {
    const id = decodeURIComponent(path.slice('/workflows/'.length));
    return { view: 'workflows', sandboxFilter: null, workflowId: path === '/workflows' || id === '' ? null : id };
  }
  const sandbox = new URLSearchParams(query).get('sandbox');
  return { view: 'terminals', sandboxFilter: sandbox || null };
}

export function formatHash(state: NavState): string {
  if (state.view === 'projects') return state.projectId ? `#/projects/${encodeURIComponent(state.projectId)}` : '#/projects';
  if (state.view === 'workflows') return state.workflowId ? `#/workflows/${encodeURIComponent(state.workflowId)}` : '#/workflows';
  if (state.view !== 'terminals') return `#/${state.view}`;
  return state.sandboxFilter ? `#/terminals?sandbox=${encodeURIComponent(state.sandboxFilter)}` : '#/terminals';
}

export const navStore = new Store<NavState>(typeof window === 'undefined' ? { view: 'terminals', sandboxFilter: null } : parseHash(window.location.hash));

export function navigate(next: Partial<NavState>): void {
  const state = { ...navStore.get(), ...next };
  navStore.set(state);
  const hash = formatHash(state);
  if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
}

/** Opens a project's page (or the projects list with null). */
export function openProject(projectId: string | null): void {
  navigate({ view: 'projects', projectId });
}

/** Follow manual hash edits (and back/forward). */
export function followHash(): () => void {
  const onHash = () => navStore.set(parseHash(window.location.hash));
  window.addEventListener('hashchange', onHash);
  return () => window.removeEventListener('hashchange', onHash);
}

export function useNav(): NavState {
  return useStore(navStore);
}
