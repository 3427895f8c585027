import type { TaskView } from './taskTypes';

/** A task view for tests: queued, feature, no result; override what matters. */
export function testTask(over: Partial<TaskView> & { id: string }): TaskView {
  return {
    projectId: 'p1',
    type: 'feature',
    title: `task ${over.id}`,
    prompt: 'do it',
    baseBranch: 'main',
    targetBranch: `anycode/task-${over.id}`,
    autoPR: false,
    mode: 'headless',
    priority: 0,
    status: 'queued',
    phase: null,
    progress: 0,
    attempt: 0,
    maxAttempts: 6,
    timeoutSecs: 3600,
    createdAt: '2026-11-28T10:00:00Z',
    updatedAt: '2026-11-28T10:00:00Z',
    ...over,
  };
}
