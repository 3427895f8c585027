import { describe, expect, it } from 'vitest';
import type { OutputFrame } from './frame';
import { type Acceptance, OutputTracker, type WriteToken } from './outputTracker';

const enc = new TextEncoder();
const out = (offset: number, text: string): OutputFrame => ({ kind: 'output', offset, data: enc.encode(text) });
const snap = (offset: number, text: string): OutputFrame => ({ kind: 'snapshot', offset, data: enc.encode(text) });

function write(a: Acceptance): { data: string; reset: boolean; token: WriteToken } {
  if (a.action !== 'write') throw new Error(`expected write, got ${a.action}`);
  return { data: new TextDecoder().decode(a.data), reset: a.reset, token: a.token };
}

describe('OutputTracker', () => {
  it('starts from a snapshot and tracks contiguous output', () => {
    const t = new OutputTracker();
    t.connectionOpened();
    expect(t.resumeFrom()).toBeNull();
    const s = write(t.accept(snap(100, 'SCREEN')));
    expect(s.reset).toBe(true);
    expect(t.next).toBe(100);
    write(t.accept(out(100, 'abc')));
    write(t.accept(out(103, 'de')));
    expect(t.next).toBe(105);
    expect(t.resumeFrom()).toBe(105);
  });

  it('acks each completed write once, in order, never backwards', () => {
    const t = new OutputTracker();
    t.connectionOpened();
    const a = write(t.accept(snap(0, '')));
    const b = write(t.accept(out(0, 'hello')));
    const c = write(t.accept(out(5, ' world')));
    expect(t.onWritten(a.token)).toBe(0);
    expect(t.onWritten(b.token)).toBe(5);
    expect(t.onWritten(b.token)).toBeNull(); // the same callback twice: no second ack
    expect(t.onWritten(c.token)).toBe(11);
    expect(t.written).toBe(11);
  });

  it('does not ack writes that finished after the screen was reset by a snapshot', () => {
    const t = new OutputTracker();
    t.connectionOpened();
    write(t.accept(snap(0, '')));
    const old = write(t.accept(out(0, 'x'.repeat(50))));
    const s = write(t.accept(snap(5000, 'NEW'))); // client fell behind: server skipped ahead
    expect(t.onWritten(old.token)).toBeNull();
    expect(t.written).toBeNull();
    expect(t.onWritten(s.token)).toBe(5000);
    expect(t.written).toBe(5000);
  });

  it('does not ack on a new connection for writes received on the old one', () => {
    const t = new OutputTracker();
    t.connectionOpened();
    write(t.accept(snap(0, '')));
    const old = write(t.accept(out(0, 'abc')));
    t.connectionOpened(); // reconnected from=3 before xterm finished the write
    expect(t.resumeFrom()).toBe(3);
    expect(t.onWritten(old.token)).toBeNull();
    expect(t.written).toBe(3); // the screen still has the bytes
    const fresh = write(t.accept(out(3, 'def')));
    expect(t.onWritten(fresh.token)).toBe(6);
  });

  it('trims bytes it already has and ignores full duplicates', () => {
    const t = new OutputTracker();
    write(t.accept(snap(10, '')));
    write(t.accept(out(10, 'abcdef')));
    expect(t.accept(out(12, 'cd'))).toEqual({ action: 'ignore' });
    const overlap = write(t.accept(out(14, 'efgh')));
    expect(overlap.data).toBe('gh');
    expect(overlap.token.end).toBe(18);
    expect(t.next).toBe(18);
  });

  it('reports a gap as resync and asks for a snapshot next time', () => {
    const t = new OutputTracker();
    write(t.accept(snap(0, '')));
    write(t.accept(out(0, 'ab')));
    expect(t.accept(out(7, 'zz'))).toEqual({ action: 'resync', expected: 2, got: 7 });
    expect(t.next).toBe(2); // unchanged
    t.requestSnapshot();
    expect(t.resumeFrom()).toBeNull();
  });

  it('accepts a snapshot that moves the offset backwards (a new server life)', () => {
    const t = new OutputTracker();
    write(t.accept(snap(0, '')));
    write(t.accept(out(0, 'x'.repeat(1000))));
    write(t.accept(snap(20, 'fresh')));
    expect(t.next).toBe(20);
    write(t.accept(out(20, 'y')));
    expect(t.next).toBe(21);
  });
});
