import { describe, expect, it } from 'vitest';
import type { AgentEntry, AgentState } from '../../shared/api/types';
import { mostUrgent, sandboxAgent } from './agentState';

const entry = (terminalId: string, sandboxId: string | null, state: AgentState): AgentEntry => ({
  terminalId,
  sandboxId,
  agent: { state, since: '2026-01-01T00:00:00Z', turnFinished: false },
});

describe('mostUrgent', () => {
  it('orders waiting_for_input > error > working > starting > idle > done', () => {
    expect(mostUrgent(['done', 'idle', 'starting', 'working', 'error', 'waiting_for_input'])).toBe('waiting_for_input');
    expect(mostUrgent(['done', 'idle', 'starting', 'working', 'error'])).toBe('error');
    expect(mostUrgent(['done', 'idle', 'working', 'starting'])).toBe('working');
    expect(mostUrgent(['idle', 'starting', 'done'])).toBe('starting');
    expect(mostUrgent(['done', 'idle'])).toBe('idle');
    expect(mostUrgent(['done'])).toBe('done');
  });
  it('is null for no states and ignores unknown ones', () => {
    expect(mostUrgent([])).toBeNull();
    expect(mostUrgent(['bogus' as AgentState, 'idle'])).toBe('idle');
  });
});

describe('sandboxAgent', () => {
  it('picks the most urgent agent among the terminals of that sandbox only', () => {
    const agents = [entry('t1', 's1', 'idle'), entry('t2', 's1', 'error'), entry('t3', 's2', 'waiting_for_input'), entry('t4', null, 'waiting_for_input')];
    expect(sandboxAgent(agents, 's1')?.terminalId).toBe('t2');
    expect(sandboxAgent(agents, 's2')?.terminalId).toBe('t3');
    expect(sandboxAgent(agents, 's3')).toBeNull();
  });
});
