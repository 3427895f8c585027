import { Store, useStore } from '../../shared/store';

/**
 * Which main view is shown, mirrored in the URL hash so a reload stays put:
 * `#/terminals`, `#/terminals?sandbox=<id>` (tabs of one sandbox), `#/sandboxes`, `#/inbox`,
 * `#/runs` and `#/settings`.
 */
export interface NavState {
  view: 'terminals' | 'sandboxes' | 'inbox' | 'runs' | 'settings';
  /** Only the terminals of this sandbox are listed in the tab bar. */
  sandboxFilter: string | null;
}

export function parseHash(hash: string): NavState {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  if (path === '/sandboxes' || path === '/inbox' || path === '/runs' || path === '/settings') {
    return { view: path.slice(1) as NavState['view'], sandboxFilter: null };
  }
  const sandbox = new URLSearchParams(query).get('sandbox');
  return { view: 'terminals', sandboxFilter: sandbox || null };
}

export function formatHash(state: NavState): string {
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

/** Follow manual hash edits (and back/forward). */
export function followHash(): () => void {
  const onHash = () => navStore.set(parseHash(window.location.hash));
  window.addEventListener('hashchange', onHash);
  return () => window.removeEventListener('hashchange', onHash);
}

export function useNav(): NavState {
  return useStore(navStore);
}
