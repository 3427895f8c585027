import { describe, expect, it } from 'vitest';
import type { PullView } from '../../shared/api/types';
import { canMerge, checksSummary, detectedSummary, formatCommitTime, formatDiffstat, plural, pullBadge, sandboxPull, shortSha } from './projectFormat';

const pr = (over: Partial<PullView>): PullView => ({
  projectId: 'p',
  number: 1,
  sandboxId: 's',
  title: 't',
  url: 'u',
  head: 'h',
  base: 'main',
  state: 'open',
  draft: false,
  mergeable: true,
  conflicts: [],
  updatedAt: '2024-01-01T00:00:00Z',
  ...over,
});

describe('project format', () => {
  it('formats shas, stats and counts', () => {
    expect(shortSha('0123456789abcdef')).toBe('0123456');
    expect(shortSha(null)).toBe('');
    expect(formatDiffstat(3, 1)).toBe('+3 −1');
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(2, 'file')).toBe('2 files');
  });
  it('badges pull requests', () => {
    expect(pullBadge(pr({}))).toBe('open');
    expect(pullBadge(pr({ draft: true }))).toBe('draft');
    expect(pullBadge(pr({ conflicts: ['a'] }))).toBe('conflicts');
    expect(pullBadge(pr({ mergeable: false }))).toBe('conflicts');
    expect(pullBadge(pr({ state: 'merged', conflicts: ['a'] }))).toBe('merged');
    expect(pullBadge(pr({ state: 'closed' }))).toBe('closed');
    expect(canMerge(pr({}))).toBe(true);
    expect(canMerge(pr({ mergeable: null }))).toBe(true);
    expect(canMerge(pr({ conflicts: ['x'] }))).toBe(false);
    expect(canMerge(pr({ state: 'merged' }))).toBe(false);
  });
  it('summarises checks and detection', () => {
    expect(checksSummary(null)).toBeNull();
    expect(checksSummary({ total: 0, passed: 0, failed: 0, pending: 0 })).toBeNull();
    expect(checksSummary({ total: 3, passed: 1, failed: 1, pending: 1 })).toBe('1/3 checks passed · 1 failed · 1 pending');
    expect(detectedSummary({ languages: ['Rust'], packageManagers: ['cargo'], setupCommands: [] })).toBe('Rust · cargo');
    expect(detectedSummary({ languages: [], packageManagers: [], setupCommands: [] })).toBeNull();
  });
  it('picks the sandbox pull request: open first, then newest', () => {
    const list = [pr({ number: 1, state: 'closed' }), pr({ number: 2 }), pr({ number: 3, state: 'merged' }), pr({ number: 4, sandboxId: 'x' })];
    expect(sandboxPull(list, 's')?.number).toBe(2);
    expect(sandboxPull([pr({ number: 1, state: 'closed' }), pr({ number: 3, state: 'merged' })], 's')?.number).toBe(3);
    expect(sandboxPull(list, 'none')).toBeNull();
  });
});

describe('formatCommitTime', () => {
  it('reads Unix seconds and RFC 3339, keeps anything else', () => {
    expect(formatCommitTime('0', 'en-US')).toBe(new Date(0).toLocaleString('en-US'));
    expect(formatCommitTime('2024-01-02T03:04:05Z', 'en-US')).toBe(new Date('2024-01-02T03:04:05Z').toLocaleString('en-US'));
    expect(formatCommitTime('yesterday')).toBe('yesterday');
  });
});
