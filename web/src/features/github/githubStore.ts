import type { GithubAuthView } from '../../shared/api/types';
import { Store, useStore } from '../../shared/store';
import { githubApi } from './githubApi';

/** The GitHub connection as the server describes it (null until loaded). */
export const githubStore = new Store<GithubAuthView | null>(null);

export function useGithubAuth(): GithubAuthView | null {
  return useStore(githubStore);
}

let generation = 0;

/** Re-reads `GET /api/github/auth` (on `github_auth` events, after connecting, while a device code is pending). */
export async function refreshGithubAuth(): Promise<GithubAuthView | null> {
  const mine = ++generation;
  try {
    const auth = await githubApi.auth();
    if (mine === generation) githubStore.set(auth);
    return auth;
  } catch {
    return null;
  }
}
