import { describe, expect, it } from 'vitest';
import { guessRepository, repoKey } from './repository';

const kind = (input: string) => guessRepository(input)?.kind ?? null;

describe('guessRepository', () => {
  it('recognises GitHub repositories', () => {
    for (const input of ['octo/hello', ' octo/hello.git ', 'https://github.com/octo/hello', 'github.com/octo/hello', 'git@github.com:octo/hello.git']) {
      expect(kind(input), input).toBe('github');
    }
  });
  it('recognises other Git URLs and local paths', () => {
    expect(kind('https://gitlab.com/a/b.git')).toBe('url');
    expect(kind('ssh://git@host/a/b')).toBe('url');
    expect(kind('git@host:a/b.git')).toBe('url');
    expect(kind('file:///srv/repo')).toBe('url');
    expect(kind('/home/me/repo')).toBe('local');
    expect(kind('~/code/repo')).toBe('local');
  });
  it('rejects clearly wrong input', () => {
    for (const input of ['ext::sh -c x', '-u', './repo', '../x', 'a b/c', 'ftp://x/y', 'just-a-name', 'a/b/c']) {
      expect(kind(input), input).toBe('invalid');
    }
    expect(guessRepository('')).toBeNull();
  });
  it('matches projects to forge repositories case-insensitively', () => {
    expect(repoKey('Octo', 'Hello')).toBe('octo/hello');
    expect(repoKey(null, 'x')).toBeNull();
  });
});
