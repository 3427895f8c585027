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
    ] as const) {
      expect(parseHash(formatHash(state))).toEqual(state);
    }
    expect(parseHash('')).toEqual({ view: 'terminals', sandboxFilter: null });
  });
});
