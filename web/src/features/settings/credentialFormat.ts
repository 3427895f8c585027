import type { CredentialInfo, CredentialKind, CredentialSource } from '../../shared/api/types';

const KINDS: Record<CredentialKind, string> = {
  api_key: 'API key',
  oauth_token: 'Setup token (OAuth)',
  oauth_subscription: 'Subscription login',
};

const SOURCES: Record<CredentialSource, string> = {
  stored: 'stored in AnyCode',
  file: 'credentials file',
  keychain: 'keychain',
  env: 'environment',
};

export const kindLabel = (kind: CredentialKind): string => KINDS[kind] ?? kind;
export const sourceLabel = (source: CredentialSource): string => SOURCES[source] ?? source;

/** "expired", "expires <date>" or "no expiry". */
export function expiryText(c: Pick<CredentialInfo, 'expired' | 'expiresAt'>): string {
  if (c.expired) return c.expiresAt ? `expired ${new Date(c.expiresAt).toLocaleString()}` : 'expired';
  return c.expiresAt ? `expires ${new Date(c.expiresAt).toLocaleString()}` : 'no expiry';
}
