import { describe, expect, it } from 'vitest';
import { formatRelative } from './time';

describe('formatRelative', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('rounds to the largest useful unit', () => {
    expect(formatRelative('2026-01-01T12:00:00Z', now)).toBe('just now');
    expect(formatRelative('2026-01-01T11:59:18Z', now)).toBe('42 s ago');
    expect(formatRelative('2026-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-01-01T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2025-12-28T12:00:00Z', now)).toBe('4 d ago');
  });
  it('treats the future as now and garbage as empty', () => {
    expect(formatRelative('2026-01-01T12:01:00Z', now)).toBe('just now');
    expect(formatRelative('nope', now)).toBe('');
  });
});
