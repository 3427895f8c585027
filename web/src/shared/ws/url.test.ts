import { describe, expect, it } from 'vitest';
import { wsUrl } from './url';

describe('wsUrl', () => {
  it('keeps host and port, switches the scheme, skips empty params', () => {
    expect(wsUrl('/ws/terminals/a', { from: 0, cols: 80, rows: null }, new URL('http://127.0.0.1:8080/x?token=t'))).toBe(
      'ws://127.0.0.1:8080/ws/terminals/a?from=0&cols=80',
    );
    expect(wsUrl('/ws/terminals/a', {}, new URL('https://h.example/'))).toBe('wss://h.example/ws/terminals/a');
  });
});
