import { describe, expect, it } from 'vitest';
import { validateBranchName as branchProblem } from '../../shared/git/branchName';
import { buildTaskRequest, emptyTaskForm, parseTimeout } from './newTaskForm';

describe('branch names (git check-ref-format --branch)', () => {
  it('accepts ordinary branches', () => {
    for (const ok of ['main', 'feature/auth', 'anycode/task-1', 'fix_2.0', 'a/b/c', 'ünïcode', 'x@y']) expect(branchProblem(ok), ok).toBeNull();
  });

  it('refuses what git refuses, naming the rule', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['-x', /start with "-"/],
      ['HEAD', /reserved/],
      ['@', /reserved/],
      ['a b', /spaces/],
      ['a\tb', /control/],
      ['a~1', /~ \^ :/],
      ['a^', /~ \^ :/],
      ['a:b', /~ \^ :/],
      ['a?', /~ \^ :/],
      ['a*', /~ \^ :/],
      ['a[b', /~ \^ :/],
      ['a\\b', /~ \^ :/],
      ['a..b', /"\.\."/],
      ['a@{1}', /"@\{"/],
      ['a//b', /"\/\/"/],
      ['/a', /start or end with "\/"/],
      ['a/', /start or end with "\/"/],
      ['a.', /end with "\."/],
      ['a/.b', /start with "\."/],
      ['.a', /start with "\."/],
      ['a.lock', /\.lock/],
      ['a.lock/b', /\.lock/],
      ['x'.repeat(201), /200 bytes/],
      ['é'.repeat(101), /200 bytes/],
    ];
    for (const [name, rule] of cases) expect(branchProblem(name), JSON.stringify(name)).toMatch(rule);
  });
});

describe('the new task form', () => {
  const form = (over: Partial<ReturnType<typeof emptyTaskForm>> = {}) => ({ ...emptyTaskForm('p1', 'main'), prompt: 'Add a README', ...over });

  it('parses timeouts: bare minutes or h/m/s parts', () => {
    expect(parseTimeout('90')).toBe(5400);
    expect(parseTimeout('1.5')).toBe(90);
    expect(parseTimeout('30s')).toBe(30);
    expect(parseTimeout('45m')).toBe(2700);
    expect(parseTimeout('45 min')).toBe(2700);
    expect(parseTimeout('2h')).toBe(7200);
    expect(parseTimeout('1h30m')).toBe(5400);
    expect(parseTimeout('1h 30m 5s')).toBe(5405);
    for (const bad of ['', 'soon', '1d', 'm', '-5', '5x']) expect(parseTimeout(bad), bad).toBeNull();
  });

  it('builds the request, leaving blanks to the server', () => {
    expect(buildTaskRequest(form())).toEqual({
      request: {
        projectId: 'p1',
        type: 'feature',
        title: null,
        prompt: 'Add a README',
        baseBranch: 'main',
        targetBranch: null,
        autoPR: false,
        interactive: false,
        priority: 0,
        timeoutSecs: null,
      },
    });
    const built = buildTaskRequest(form({ title: ' T ', targetBranch: ' feature/x ', priority: '-7', timeout: '2h', autoPR: true, interactive: true, type: 'bugfix' }));
    expect(built).toMatchObject({
      request: { title: 'T', targetBranch: 'feature/x', priority: -7, timeoutSecs: 7200, autoPR: true, interactive: true, type: 'bugfix' },
    });
  });

  it('reports every problem at once', () => {
    const built = buildTaskRequest({ ...emptyTaskForm(), targetBranch: 'bad..name', priority: '101', timeout: '5s' });
    expect('errors' in built && Object.keys(built.errors).sort()).toEqual(['priority', 'projectId', 'prompt', 'targetBranch', 'timeout']);
    expect(buildTaskRequest(form({ targetBranch: 'main' }))).toEqual({ errors: { targetBranch: 'It must differ from the base branch.' } });
    const fields = (f: ReturnType<typeof form>) => {
      const built = buildTaskRequest(f);
      return 'errors' in built ? Object.keys(built.errors) : [];
    };
    expect(fields(form({ priority: '1.5' }))).toEqual(['priority']);
    expect(fields(form({ timeout: '8d' }))).toEqual(['timeout']);
    expect(fields(form({ timeout: '7d' }))).toEqual(['timeout']);
    expect(buildTaskRequest(form({ timeout: '10080' }))).toMatchObject({ request: { timeoutSecs: 604_800 } });
    expect(fields(form({ prompt: '   ' }))).toEqual(['prompt']);
    expect(fields(form({ prompt: 'a\0b' }))).toEqual(['prompt']);
  });
});
