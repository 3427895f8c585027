import type { GithubAuthView } from '../../shared/api/types';

const SOURCES: Record<string, string> = {
  device: 'signed in with GitHub (device flow)',
  pat: 'personal access token',
  env: 'the host’s GITHUB_TOKEN',
  gh: 'the host’s gh login',
};

export const githubSourceLabel = (source: string | null | undefined): string => (source ? (SOURCES[source] ?? source) : 'unknown');

/** Tokens AnyCode stores itself can be removed from the UI; host ones only on the host. */
export const canDisconnect = (auth: Pick<GithubAuthView, 'connected' | 'source'>): boolean =>
  auth.connected && (auth.source === 'pat' || auth.source === 'device');

/** The device flow is waiting for the user to enter the code. */
export const devicePending = (auth: Pick<GithubAuthView, 'device'> | null): boolean => auth?.device?.status === 'pending';

const DEVICE_STATUS: Record<string, string> = {
  pending: 'Waiting for you to enter the code on GitHub…',
  succeeded: 'Signed in.',
  expired: 'The code expired: start again.',
  denied: 'Access was denied on GitHub.',
  failed: 'Sign-in failed.',
};

export const deviceStatusText = (status: string): string => DEVICE_STATUS[status] ?? status;
