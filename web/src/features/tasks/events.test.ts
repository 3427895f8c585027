import { describe, expect, it } from 'vitest';
import { parseEvent } from '../sandboxes/eventsClient';
import { testTask } from './testTask';

describe('task, scheduler, radar and workflow_run events', () => {
  it('are parsed from /ws/events frames', () => {
    const task = testTask({ id: 't1', status: 'running', phase: 'claude', progress: 40 });
    expect(parseEvent(JSON.stringify({ type: 'task', payload: task }))).toEqual({ type: 'task', payload: task });
    const scheduler = { limits: { maxRunning: 5, maxPerProject: 3 }, running: 1, queued: 2, holdReason: null, holdUntil: null };
    expect(parseEvent(JSON.stringify({ type: 'scheduler', payload: scheduler }))?.type).toBe('scheduler');
    const radar = { projectId: 'p1', overlaps: [{ projectId: 'p1', sandboxes: ['a', 'b'], branches: ['x', 'y'], files: ['f'] }] };
    expect(parseEvent(JSON.stringify({ type: 'radar', payload: radar }))).toEqual({ type: 'radar', payload: radar });
    expect(parseEvent('{"type":"workflow_run","payload":{"id":"r1"}}')).toEqual({ type: 'workflow_run', payload: { id: 'r1' } });
  });

  it('without a payload are dropped', () => {
    expect(parseEvent('{"type":"task"}')).toBeNull();
    expect(parseEvent('{"type":"workflow_run","payload":null}')).toBeNull();
  });
});
