/** Longest branch name the server accepts, in bytes (gitops::MAX_BRANCH_NAME). */
export const MAX_BRANCH_NAME = 200;

/**
 * `git check-ref-format --branch` rules, as the server checks them (gitops/refname.rs), so a bad
 * name is caught before the request. Returns the rule broken, or null when the name is valid.
 */
export function validateBranchName(name: string): string | null {
  if (name === '') return 'A branch name cannot be empty.';
  if (new TextEncoder().encode(name).length > MAX_BRANCH_NAME) return `At most ${MAX_BRANCH_NAME} bytes.`;
  if (name.startsWith('-')) return 'It cannot start with "-".';
  if (name === 'HEAD') return '"HEAD" is reserved.';
  if (name === '@') return '"@" alone is reserved.';
  for (const c of name) {
    const code = c.charCodeAt(0);
    if (c === ' ') return 'It cannot contain spaces.';
    if (code < 0x20 || code === 0x7f) return 'It cannot contain control characters.';
    if ('~^:?*[\\'.includes(c)) return 'It cannot contain any of ~ ^ : ? * [ \\';
  }
  if (name.includes('..')) return 'It cannot contain "..".';
  if (name.includes('@{')) return 'It cannot contain "@{".';
  if (name.includes('//')) return 'It cannot contain "//".';
  if (name.startsWith('/') || name.endsWith('/')) return 'It cannot start or end with "/".';
  if (name.endsWith('.')) return 'It cannot end with ".".';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'No part of it can start with ".".';
    if (part.endsWith('.lock')) return 'No part of it can end with ".lock".';
  }
  return null;
}

/** The branch the server picks when none is given: `anycode/<sandbox name>`. */
export function defaultBranchFor(sandboxName: string): string {
  return `anycode/${sandboxName.trim()}`;
}
