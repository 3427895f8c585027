import { describe, expect, it } from 'vitest';
import { FrameError, decodeFrame, encodeFrame } from './frame';

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

describe('decodeFrame', () => {
  it('decodes an output frame with a big-endian offset', () => {
    const frame = decodeFrame(bytes(0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x68, 0x69));
    expect(frame.kind).toBe('output');
    expect(frame.offset).toBe(0x0102);
    expect(Array.from(frame.data)).toEqual([0x68, 0x69]);
  });

  it('decodes a snapshot frame', () => {
    const frame = decodeFrame(bytes(1, 0, 0, 0, 0, 0, 0, 0, 42, 0x1b, 0x63));
    expect(frame.kind).toBe('snapshot');
    expect(frame.offset).toBe(42);
    expect(Array.from(frame.data)).toEqual([0x1b, 0x63]);
  });

  it('uses all eight offset bytes', () => {
    const frame = decodeFrame(bytes(0, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    expect(frame.offset).toBe(Number.MAX_SAFE_INTEGER);
    expect(frame.data.byteLength).toBe(0);
    const high = decodeFrame(bytes(0, 0, 0, 0, 1, 0, 0, 0, 0));
    expect(high.offset).toBe(2 ** 32);
  });

  it('rejects short frames, unknown kinds and unsafe offsets', () => {
    expect(() => decodeFrame(bytes(0, 0, 0, 0, 0, 0, 0, 0))).toThrow(FrameError);
    expect(() => decodeFrame(bytes(2, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(/kind 2/);
    expect(() => decodeFrame(bytes(0, 0xff, 0, 0, 0, 0, 0, 0, 0))).toThrow(/out of range/);
  });

  it('round-trips with encodeFrame', () => {
    const data = new TextEncoder().encode('héllo');
    const frame = decodeFrame(encodeFrame('output', 123_456_789_012, data));
    expect(frame).toEqual({ kind: 'output', offset: 123_456_789_012, data });
  });
});
