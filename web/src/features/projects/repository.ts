/** What the import form thinks the user typed; the server parses it for real (gitops::source). */
export type RepositoryGuess =
  | { kind: 'github'; label: string }
  | { kind: 'url'; label: string }
  | { kind: 'local'; label: string }
  | { kind: 'invalid'; error: string };

const NAME = /^[A-Za-z0-9._-]+$/;
const SCHEMES = ['https', 'http', 'ssh', 'git', 'file'];

/**
 * A hint under the import field: `owner/repo` and github.com URLs are GitHub repositories, other
 * URLs (`https`, `ssh`, `git@host:path`, `file://`) plain Git remotes, absolute paths (and `~/…`)
 * local repositories. Only clearly wrong input is an error here.
 */
export function guessRepository(raw: string): RepositoryGuess | null {
  const input = raw.trim();
  if (input === '') return null;
  if ([...input].some((c) => c.charCodeAt(0) < 0x20) || input.startsWith('-') || input.includes('::')) {
    return { kind: 'invalid', error: 'Not a repository: expected owner/repo, a Git URL or a local path.' };
  }
  if (input.startsWith('/') || input === '~' || input.startsWith('~/')) return { kind: 'local', label: 'Local repository' };
  if (input.startsWith('./') || input.startsWith('../')) {
    return { kind: 'invalid', error: 'A relative path: give an absolute path (or ~/…).' };
  }
  if (/\s/.test(input)) return { kind: 'invalid', error: 'A repository cannot contain spaces.' };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(input)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (!SCHEMES.includes(scheme)) return { kind: 'invalid', error: `Unsupported URL scheme "${scheme}".` };
    if (/^https?:\/\/(www\.)?github\.com\//i.test(input)) return { kind: 'github', label: 'GitHub repository' };
    return { kind: 'url', label: scheme === 'file' ? 'Local repository (file URL)' : 'Git URL' };
  }
  if (/^github\.com\//i.test(input) || /^git@github\.com:/i.test(input)) return { kind: 'github', label: 'GitHub repository' };
  if (/^[^/@:]+@[^/:]+:/.test(input)) return { kind: 'url', label: 'Git URL (SSH)' };
  const parts = input.split('/');
  if (parts.length === 2 && parts.every((p) => NAME.test(p) && p !== '.' && p !== '..')) {
    return { kind: 'github', label: 'GitHub repository' };
  }
  return { kind: 'invalid', error: 'Not a repository: expected owner/repo, a Git URL or a local path.' };
}

/** `owner/repo` of a project, lower-cased, to match it against the forge's repository list. */
export function repoKey(owner: string | null | undefined, repo: string | null | undefined): string | null {
  return owner && repo ? `${owner}/${repo}`.toLowerCase() : null;
}
