import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/errors';
import { offsetOf, problemWhere, problemsByStep, problemsOf, runIsActive, runShapes, sortProblems, stepStates, stepSummary } from './problems';
import { type WorkflowRunStep, triggerLabel } from './workflowTypes';

const problem = (code: string, stepIds: string[] = [], line: number | null = null, column: number | null = null) => ({
  code,
  message: `${code} problem`,
  stepIds,
  line,
  column,
});

const runStep = (stepId: string, status: string, dependsOn: string[] = []): WorkflowRunStep => ({ stepId, type: 'shell_command', dependsOn, status });

describe('validation problems', () => {
  it('says where a problem is', () => {
    expect(problemWhere({ line: 3, column: 5 })).toBe('line 3, column 5');
    expect(problemWhere({ line: 3, column: null })).toBe('line 3');
    expect(problemWhere({ line: null, column: 2 })).toBeNull();
    expect(problemWhere({ line: 0 })).toBeNull();
  });

  it('groups problems by the steps they name (a cycle names all of its steps)', () => {
    const map = problemsByStep([problem('cycle', ['a', 'b', 'a']), problem('missing_dependency', ['b']), problem('invalid_yaml')]);
    expect(map.get('a')?.map((p) => p.code)).toEqual(['cycle']);
    expect(map.get('b')?.map((p) => p.code)).toEqual(['cycle', 'missing_dependency']);
    expect(map.size).toBe(2);
  });

  it('sorts by position, unplaced problems last', () => {
    const sorted = sortProblems([problem('z'), problem('b', [], 9, 1), problem('a', [], 2, 7), problem('c', [], 2, 3)]);
    expect(sorted.map((p) => p.code)).toEqual(['c', 'a', 'b', 'z']);
  });

  it('reads the problems of a refused save from error.details', () => {
    const err = new ApiError(400, 'invalid_request', 'the definition has 1 problem', { problems: [problem('cycle', ['a', 'b']), { junk: true }] });
    expect(problemsOf(err).map((p) => p.code)).toEqual(['cycle']);
    expect(problemsOf(new ApiError(400, 'invalid_request', 'x', null))).toEqual([]);
    expect(problemsOf(new Error('x'))).toEqual([]);
  });

  it('finds the offset of a line and column in the text (clamped)', () => {
    const text = 'name: x\nsteps:\n  - id: a\n';
    expect(offsetOf(text, 1, 1)).toBe(0);
    expect(offsetOf(text, 2, 1)).toBe(8);
    expect(text.slice(offsetOf(text, 3, 5))).toBe('id: a\n');
    expect(offsetOf(text, 2, 99)).toBe(14);
    expect(offsetOf(text, 99, 1)).toBe(text.length);
  });
});

describe('runs', () => {
  it('turns run steps into graph shapes and states', () => {
    const run = { steps: [runStep('ask', 'waiting'), runStep('after', 'pending', ['ask'])] };
    expect(runShapes(run)).toEqual([
      { id: 'ask', name: null, type: 'shell_command', dependsOn: [] },
      { id: 'after', name: null, type: 'shell_command', dependsOn: ['ask'] },
    ]);
    expect(stepStates(run).get('after')?.status).toBe('pending');
    expect(stepStates(null).size).toBe(0);
  });

  it('summarises step states in a fixed order', () => {
    expect(stepSummary({ steps: [runStep('a', 'pending'), runStep('b', 'succeeded'), runStep('c', 'pending'), runStep('d', 'running')] })).toBe(
      '1 succeeded · 1 running · 2 pending',
    );
  });

  it('knows which runs can be cancelled, and what started them', () => {
    expect(runIsActive('running')).toBe(true);
    expect(['succeeded', 'failed', 'cancelled'].some(runIsActive)).toBe(false);
    expect(triggerLabel({ event: 'manual' })).toBe('manual');
    expect(triggerLabel({ event: 'push', branch: 'main' })).toBe('push main');
    expect(triggerLabel('schedule')).toBe('schedule');
    expect(triggerLabel(null)).toBe('unknown');
  });
});
