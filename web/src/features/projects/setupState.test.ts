import { describe, expect, it } from 'vitest';
import type { TerminalView } from '../../shared/api/types';
import { setupFromTerminals, setupLabel } from './setupState';

const term = (over: Partial<TerminalView>): TerminalView => ({
  id: 't1',
  name: 'setup',
  sandboxId: 's1',
  status: 'running',
  cols: 80,
  rows: 24,
  command: ['/bin/bash'],
  createdAt: '2024-01-01T00:00:00Z',
  startOffset: 0,
  endOffset: 0,
  ...over,
});

describe('setup state', () => {
  it('comes from the sandbox terminal named setup', () => {
    expect(setupFromTerminals([term({})], 's1')).toEqual({ terminalId: 't1', state: 'running', exitCode: null });
    expect(setupFromTerminals([term({ status: 'exited', exitCode: 0 })], 's1')?.state).toBe('succeeded');
    expect(setupFromTerminals([term({ status: 'exited', exitCode: 3 })], 's1')).toEqual({ terminalId: 't1', state: 'failed', exitCode: 3 });
    expect(setupFromTerminals([term({ name: 'bash' }), term({ sandboxId: 'other' })], 's1')).toBeNull();
    expect(setupFromTerminals(null, 's1')).toBeNull();
  });
  it('is labelled', () => {
    expect(setupLabel({ terminalId: 't', state: 'running', exitCode: null })).toBe('Setup running…');
    expect(setupLabel({ terminalId: 't', state: 'succeeded', exitCode: 0 })).toBe('Setup succeeded');
    expect(setupLabel({ terminalId: 't', state: 'failed', exitCode: 2 })).toBe('Setup failed (exit 2)');
    expect(setupLabel({ terminalId: '', state: 'failed', exitCode: null })).toBe('Setup failed');
  });
});
