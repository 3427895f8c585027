import { describe, expect, it } from 'vitest';
import type { RunEventView, RunView } from '../../shared/api/types';
import { formatCost, formatUsage, logItems, outcomeOf, runStatus, sortRuns, summarizeInput } from './runLog';

const ev = (seq: number, kind: string, event: unknown): RunEventView => ({ seq, kind, event: event as RunEventView['event'] });

/** The lines of a real `claude -p --output-format stream-json --verbose` run (facts §4.3), trimmed. */
const EVENTS: RunEventView[] = [
  ev(1, 'init', { type: 'system', subtype: 'init', session_id: 's-1', model: 'claude-opus-4-8', cwd: '/workspace', tools: ['Bash', 'Write'] }),
  ev(2, 'assistant_text', { type: 'assistant', message: { content: [{ type: 'text', text: 'I will add the file.' }] } }),
  ev(3, 'tool_use', {
    type: 'assistant',
    message: { content: [{ type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: '/workspace/NOTES.md', content: '# Notes' } }] },
  }),
  ev(4, 'tool_result', {
    type: 'user',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'File created successfully' }] },
  }),
  ev(5, 'tool_use', { type: 'assistant', message: { content: [{ type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'git commit -qm x' } }] } }),
  ev(6, 'tool_result', {
    type: 'user',
    message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_2', is_error: true, content: [{ type: 'text', text: 'nothing to commit' }] }] },
  }),
  ev(7, 'other', { type: 'rate_limit_event' }),
  ev(9, 'other', { type: 'system', subtype: 'hook_started' }),
  ev(8, 'result', {
    type: 'result',
    subtype: 'success',
    is_error: false,
    duration_ms: 911,
    num_turns: 3,
    result: 'Done.',
    total_cost_usd: 0.022325,
    usage: { input_tokens: 3900, cache_creation_input_tokens: 100, cache_read_input_tokens: 300, output_tokens: 82 },
  }),
];

describe('logItems', () => {
  it('types each step of a run, in order, with tool names on their results', () => {
    const items = logItems([...EVENTS].reverse());
    expect(items.map((i) => i.kind)).toEqual(['init', 'text', 'tool_use', 'tool_result', 'tool_use', 'tool_result', 'other', 'result']);
    expect(items[0]).toMatchObject({ model: 'claude-opus-4-8', sessionId: 's-1', tools: 2, cwd: '/workspace' });
    expect(items[1]).toMatchObject({ kind: 'text', text: 'I will add the file.' });
    expect(items[2]).toMatchObject({ kind: 'tool_use', name: 'Write', input: '/workspace/NOTES.md' });
    expect(items[3]).toMatchObject({ kind: 'tool_result', tool: 'Write', text: 'File created successfully', isError: false });
    expect(items[5]).toMatchObject({ kind: 'tool_result', tool: 'Bash', text: 'nothing to commit', isError: true });
    expect(items[6]).toMatchObject({ kind: 'other', type: 'rate_limit_event' });
    const last = items[7];
    expect(last?.kind === 'result' && last.outcome).toEqual({
      ok: true,
      subtype: 'success',
      text: 'Done.',
      costUsd: 0.022325,
      turns: 3,
      durationMs: 911,
      usage: { input: 3900, output: 82, cacheWrite: 100, cacheRead: 300 },
    });
    expect(new Set(items.map((i) => i.key)).size).toBe(items.length);
  });

  it('survives odd events', () => {
    const items = logItems([ev(1, 'assistant_text', null), ev(2, 'tool_result', { message: { content: 'plain' } }), ev(3, 'assistant_text', { message: { content: 'just text' } })]);
    expect(items).toEqual([{ kind: 'text', key: '3.0', text: 'just text' }]);
  });
});

describe('outcomeOf', () => {
  it('reads failures: an error result, and a run that ended without one', () => {
    expect(outcomeOf({ type: 'result', subtype: 'error_max_turns', is_error: true, errors: ['Reached maximum number of turns (2)'] })).toMatchObject({
      ok: false,
      subtype: 'error_max_turns',
      text: 'Reached maximum number of turns (2)',
    });
    expect(outcomeOf({ error: 'claude exited (Some(1)) without a result' })).toMatchObject({ ok: false, subtype: 'error', text: 'claude exited (Some(1)) without a result' });
    expect(outcomeOf(null)).toBeNull();
  });
});

describe('runs list', () => {
  const run = (id: string, createdAt: string, status = 'running'): RunView => ({ id, createdAt, status, prompt: 'p', sandboxId: 's', terminalId: 't' });
  it('sorts newest first and normalises states', () => {
    const sorted = sortRuns([run('a', '2026-01-01T00:00:00Z'), run('c', '2026-01-03T00:00:00Z'), run('b', '2026-01-02T00:00:00Z')]);
    expect(sorted.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(runStatus(run('x', '', 'completed'))).toBe('completed');
    expect(runStatus(run('x', '', 'weird'))).toBe('running');
  });
  it('formats cost, usage and tool input', () => {
    expect(formatCost(0.022325)).toBe('$0.0223');
    expect(formatCost(12.5)).toBe('$12.50');
    expect(formatCost(null)).toBe('–');
    expect(formatUsage({ input: 3900, output: 82, cacheWrite: 0, cacheRead: 0 })).toBe('3.9k in · 82 out');
    expect(formatUsage({ input: 12_000, output: 5, cacheWrite: 100, cacheRead: 300 })).toBe('12k in · 5 out · cache 100 write / 300 read');
    expect(summarizeInput({ command: 'ls -la' })).toBe('ls -la');
    expect(summarizeInput({ a: 1 })).toBe('{"a":1}');
  });
});
