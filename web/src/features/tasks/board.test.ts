import { describe, expect, it } from 'vitest';
import { attemptLabel, canMarkDone, clampProgress, columnOf, compactCount, errorClassLabel, groupTasks, isActive, phaseLabel, upsertTaskList, usageLabel } from './board';
import { taskResult } from './taskTypes';
import { testTask } from './testTask';

const ids = (list: { id: string }[]) => list.map((t) => t.id);

describe('board columns', () => {
  it('puts each status in its column, pending with queued, unknown nowhere', () => {
    expect(columnOf('pending')).toBe('queued');
    expect(columnOf('queued')).toBe('queued');
    for (const s of ['running', 'completed', 'failed', 'cancelled'] as const) expect(columnOf(s)).toBe(s);
    expect(columnOf('paused')).toBeNull();
    const board = groupTasks([
      testTask({ id: 'a', status: 'pending' }),
      testTask({ id: 'b', status: 'queued' }),
      testTask({ id: 'c', status: 'running' }),
      testTask({ id: 'd', status: 'completed' }),
      testTask({ id: 'e', status: 'failed' }),
      testTask({ id: 'f', status: 'cancelled' }),
      testTask({ id: 'g', status: 'from-the-future' }),
    ]);
    expect(ids(board.queued).sort()).toEqual(['a', 'b']);
    expect(ids(board.running)).toEqual(['c']);
    expect(ids(board.completed)).toEqual(['d']);
    expect(ids(board.failed)).toEqual(['e']);
    expect(ids(board.cancelled)).toEqual(['f']);
  });

  it('orders queued tasks as the scheduler starts them: priority, then first come', () => {
    const board = groupTasks([
      testTask({ id: 'late', createdAt: '2026-11-28T10:05:00Z' }),
      testTask({ id: 'urgent', priority: 10, createdAt: '2026-11-28T10:09:00Z' }),
      testTask({ id: 'early', createdAt: '2026-11-28T10:01:00Z' }),
      testTask({ id: 'low', priority: -5, createdAt: '2026-11-28T09:00:00Z' }),
    ]);
    expect(ids(board.queued)).toEqual(['urgent', 'early', 'late', 'low']);
  });

  it('orders running by start and finished ones newest first', () => {
    const board = groupTasks([
      testTask({ id: 'r2', status: 'running', startedAt: '2026-11-28T10:02:00Z' }),
      testTask({ id: 'r1', status: 'running', startedAt: '2026-11-28T10:01:00Z' }),
      testTask({ id: 'old', status: 'completed', finishedAt: '2026-11-28T10:01:00Z' }),
      testTask({ id: 'new', status: 'completed', finishedAt: '2026-11-28T11:00:00Z' }),
    ]);
    expect(ids(board.running)).toEqual(['r1', 'r2']);
    expect(ids(board.completed)).toEqual(['new', 'old']);
  });

  it('filters by project', () => {
    const board = groupTasks([testTask({ id: 'a', projectId: 'p1' }), testTask({ id: 'b', projectId: 'p2' })], 'p2');
    expect(ids(board.queued)).toEqual(['b']);
  });

  it('keeps the newest view: an older updatedAt or a finished task going back never wins', () => {
    const running = testTask({ id: 'a', status: 'running', updatedAt: '2026-11-28T10:00:02.000Z' });
    const cancelled = testTask({ id: 'a', status: 'cancelled', updatedAt: '2026-11-28T10:00:03.000Z' });
    // The cancel request's answer (still running) arrives after the event that it ended.
    expect(upsertTaskList([cancelled], running)[0]?.status).toBe('cancelled');
    expect(upsertTaskList([cancelled], { ...running, updatedAt: '2026-11-28T10:00:09Z' })[0]?.status).toBe('cancelled');
    expect(upsertTaskList([running], cancelled)[0]?.status).toBe('cancelled');
    const older = testTask({ id: 'a', status: 'running', phase: 'setup', updatedAt: '2026-11-28T10:00:01Z' });
    expect(upsertTaskList([running], older)[0]?.updatedAt).toBe(running.updatedAt);
    // Same instant (a wait reason does not move updatedAt): a later event wins, a REST answer
    // (which the event may have overtaken) does not.
    const reason = testTask({ id: 'a', status: 'queued', waitReason: 'waiting for a free slot', updatedAt: running.updatedAt });
    const created = testTask({ id: 'a', status: 'queued', waitReason: null, updatedAt: running.updatedAt });
    expect(upsertTaskList([created], reason)[0]?.waitReason).toBe('waiting for a free slot');
    expect(upsertTaskList([reason], created, true)[0]?.waitReason).toBe('waiting for a free slot');
    expect(upsertTaskList([reason], { ...created, updatedAt: '2026-11-28T10:00:04Z' }, true)[0]?.waitReason).toBeNull();
    // A retry goes back to the queue: not a finished task, so it is shown.
    const requeued = testTask({ id: 'a', status: 'queued', updatedAt: '2026-11-28T10:00:05Z' });
    expect(upsertTaskList([running], requeued)[0]?.status).toBe('queued');
  });

  it('upserts by id, appending new tasks', () => {
    const list = [testTask({ id: 'a' }), testTask({ id: 'b' })];
    const next = upsertTaskList(list, testTask({ id: 'a', status: 'running' }));
    expect(next.map((t) => `${t.id}:${t.status}`)).toEqual(['a:running', 'b:queued']);
    expect(list[0]?.status).toBe('queued');
    expect(ids(upsertTaskList(list, testTask({ id: 'c' })))).toEqual(['a', 'b', 'c']);
  });
});

describe('card wording', () => {
  it('labels phases, error classes and attempts', () => {
    expect(phaseLabel('claude')).toBe('Claude is working');
    expect(phaseLabel('waiting_for_user')).toBe('waiting for you');
    expect(phaseLabel('new_phase')).toBe('new phase');
    expect(phaseLabel(null)).toBeNull();
    expect(errorClassLabel('rate_limited')).toBe('rate limited');
    expect(errorClassLabel('sandbox_lost')).toBe('sandbox lost');
    expect(errorClassLabel(undefined)).toBeNull();
    expect(attemptLabel({ attempt: 0, maxAttempts: 6, status: 'queued' })).toBeNull();
    expect(attemptLabel({ attempt: 1, maxAttempts: 6, status: 'running' })).toBe('attempt 1/6');
    expect(attemptLabel({ attempt: 2, maxAttempts: 6, status: 'queued' })).toBe('next attempt 3/6');
    expect(attemptLabel({ attempt: 3, maxAttempts: 3, status: 'failed' })).toBe('attempt 3/3');
  });

  it('clamps progress to a whole percentage', () => {
    expect(clampProgress(-3)).toBe(0);
    expect(clampProgress(42.6)).toBe(43);
    expect(clampProgress(250)).toBe(100);
    expect(clampProgress(Number.NaN)).toBe(0);
  });

  it('offers cancel while active and "Mark done" only to an interactive task waiting for the user', () => {
    expect(['pending', 'queued', 'running'].every(isActive)).toBe(true);
    expect(['completed', 'failed', 'cancelled'].some(isActive)).toBe(false);
    expect(canMarkDone({ mode: 'interactive', status: 'running', phase: 'waiting_for_user' })).toBe(true);
    expect(canMarkDone({ mode: 'interactive', status: 'running', phase: 'setup' })).toBe(false);
    expect(canMarkDone({ mode: 'headless', status: 'running', phase: 'waiting_for_user' })).toBe(false);
  });

  it('reads the free-form result defensively', () => {
    expect(taskResult({ result: null })).toBeNull();
    expect(taskResult({ result: 'x' as never })).toBeNull();
    const r = taskResult({
      result: { branch: 'anycode/task-1', commits: [{ sha: 'abc123', subject: 'Add x' }, { nope: 1 }, 'bad'], prUrl: 'http://f/pr/3', prNumber: 3 } as never,
    });
    expect(r).toEqual({ branch: 'anycode/task-1', sandboxId: null, commits: [{ sha: 'abc123', subject: 'Add x' }], prUrl: 'http://f/pr/3', prNumber: 3, note: null });
  });

  it('sums the model usage compactly', () => {
    expect(compactCount(950)).toBe('950');
    expect(compactCount(1000)).toBe('1k');
    expect(compactCount(1234)).toBe('1.2k');
    expect(compactCount(12_345)).toBe('12k');
    expect(compactCount(3_400_000)).toBe('3.4M');
    expect(usageLabel(null)).toBeNull();
    const usage = { requests: 0, inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 };
    expect(usageLabel(usage)).toBeNull();
    expect(usageLabel({ ...usage, requests: 3, inputTokens: 1000, outputTokens: 150, cacheReadTokens: 100 })).toBe('1.3k tokens · 3 requests');
    expect(usageLabel({ ...usage, requests: 1, outputTokens: 20 })).toBe('20 tokens · 1 request');
  });
});
