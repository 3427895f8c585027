import { describe, expect, it } from 'vitest';
import type { InboxItem, InboxKind } from '../../shared/api/types';
import { inboxCount, itemKey, newAlerts, sortInbox } from './inboxLogic';

const item = (terminalId: string, kind: InboxKind, since = '2026-01-01T00:00:00Z'): InboxItem => ({ terminalId, kind, since });

describe('inboxCount', () => {
  it('counts one per terminal and kind', () => {
    expect(inboxCount(null)).toBe(0);
    expect(inboxCount([])).toBe(0);
    expect(inboxCount([item('a', 'waiting_for_input'), item('b', 'finished'), item('a', 'error')])).toBe(3);
    expect(inboxCount([item('a', 'finished'), item('a', 'finished', '2026-01-01T00:00:01Z')])).toBe(1);
  });
});

describe('newAlerts', () => {
  it('never alerts on the first list', () => {
    expect(newAlerts(null, [item('a', 'waiting_for_input')])).toEqual([]);
  });
  it('alerts only on new waiting_for_input and error items', () => {
    const old = item('a', 'waiting_for_input');
    const known = new Set([itemKey(old)]);
    const error = item('b', 'error');
    const again = item('a', 'waiting_for_input', '2026-01-01T00:05:00Z');
    const fresh = [old, error, item('c', 'finished'), again];
    expect(newAlerts(known, fresh).map(itemKey)).toEqual([itemKey(error), itemKey(again)]);
  });
});

describe('sortInbox', () => {
  it('puts waiting first, then errors, then finished, newest first within a kind', () => {
    const list = [item('f', 'finished'), item('e', 'error'), item('w1', 'waiting_for_input'), item('w2', 'waiting_for_input', '2026-01-02T00:00:00Z')];
    expect(sortInbox(list).map((i) => i.terminalId)).toEqual(['w2', 'w1', 'e', 'f']);
  });
});
