import { describe, expect, it } from 'vitest';
import { formatHash, parseHash } from './nav';

describe('nav hash', () => {
  it('round-trips', () => {
    for (const state of [
      { view: 'terminals', sandboxFilter: null },
      { view: 'sandboxes', sandboxFilter: null },
      { view: 'inbox', sandboxFilter: null },
      { view: 'settings', sandboxFilter: null },
      { view: 'terminals', sandboxFilter: 'sb 1' },
      { view: 'projects', sandboxFilter: null, projectId: null },
      { view: 'projects', sandboxFilter: null, projectId: 'p/1 x' },
      { view: 'tasks', sandboxFilter: null },
      { view: 'workflows', sandboxFilter: null, workflowId: null },
      { view: 'workflows', sandboxFilter: null, workflowId: 'w/1 x' },
      { view: 'workflows', sandboxFilter: null, workflowId: 'new' },
    ] as const) {
      expect(parseHash(formatHash(state))).toEqual(state);
    }
    expect(parseHash('')).toEqual({ view: 'terminals', sandboxFilter: null });
  });
  it('opens a project page from its hash', () => {
    expect(parseHash('#/projects/abc')).toEqual({ view: 'projects', sandboxFilter: null, projectId: 'abc' });
    expect(parseHash('#/projects/')).toEqual({ view: 'projects', sandboxFilter: null, projectId: null });
    expect(formatHash({ view: 'sandboxes', sandboxFilter: null, projectId: 'abc' })).toBe('#/sandboxes');
  });
  it('opens a workflow page from its hash', () => {
    expect(parseHash('#/workflows/abc')).toEqual({ view: 'workflows', sandboxFilter: null, workflowId: 'abc' });
    expect(parseHash('#/workflows/')).toEqual({ view: 'workflows', sandboxFilter: null, workflowId: null });
    expect(parseHash('#/tasks')).toEqual({ view: 'tasks', sandboxFilter: null });
    expect(formatHash({ view: 'tasks', sandboxFilter: null, workflowId: 'abc' })).toBe('#/tasks');
  });
});
