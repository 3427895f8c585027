import { describe, expect, it } from 'vitest';
import { defaultBranchFor, validateBranchName } from './branchName';

describe('branch names', () => {
  it('accepts what git accepts', () => {
    for (const name of ['main', 'feature/x', 'anycode/fix-123', 'a.b', 'v1.2.3', 'x'.repeat(200), 'über', 'a@b', 'a-']) {
      expect(validateBranchName(name), name).toBeNull();
    }
  });
  it('rejects what git rejects, naming the rule', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['-x', /start with "-"/],
      ['HEAD', /reserved/],
      ['@', /reserved/],
      ['a b', /spaces/],
      ['a\tb', /control/],
      ['a~1', /~/],
      ['a^', /~/],
      ['a:b', /~/],
      ['a?', /~/],
      ['a*', /~/],
      ['a[b', /~/],
      ['a\\b', /~/],
      ['a..b', /"\.\."/],
      ['a@{1}', /@\{/],
      ['a//b', /\/\//],
      ['/a', /start or end/],
      ['a/', /start or end/],
      ['a.', /end with "\."/],
      ['.a', /start with "\."/],
      ['a/.b', /start with "\."/],
      ['a.lock', /\.lock/],
      ['a.lock/b', /\.lock/],
      ['x'.repeat(201), /200 bytes/],
      ['é'.repeat(101), /200 bytes/],
    ];
    for (const [name, rule] of cases) expect(validateBranchName(name), JSON.stringify(name)).toMatch(rule);
  });
  it('defaults like the server', () => {
    expect(defaultBranchFor(' web ')).toBe('anycode/web');
  });
});
