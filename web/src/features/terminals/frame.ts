/**
 * Binary server → client frames of `/ws/terminals/:id` (docs/protocol.md):
 * byte 0 kind (0 output, 1 snapshot), bytes 1..9 offset (u64 big-endian), bytes 9.. data.
 */
export type FrameKind = 'output' | 'snapshot';

export interface OutputFrame {
  kind: FrameKind;
  /** Output: offset of the first data byte. Snapshot: the offset output continues from. */
  offset: number;
  data: Uint8Array;
}

export const FRAME_HEADER_LEN = 9;

export class FrameError extends Error {
  override name = 'FrameError';
}

/** Decodes one binary frame. The data is a view into `buffer`, not a copy. */
export function decodeFrame(buffer: ArrayBuffer): OutputFrame {
  if (buffer.byteLength < FRAME_HEADER_LEN) {
    throw new FrameError(`frame too short: ${buffer.byteLength} bytes`);
  }
  const view = new DataView(buffer);
  const kindByte = view.getUint8(0);
  let kind: FrameKind;
  if (kindByte === 0) kind = 'output';
  else if (kindByte === 1) kind = 'snapshot';
  else throw new FrameError(`unknown frame kind ${kindByte}`);
  const offset = view.getBigUint64(1, false);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameError(`offset out of range: ${offset}`);
  return { kind, offset: Number(offset), data: new Uint8Array(buffer, FRAME_HEADER_LEN) };
}

/** Encodes a frame (used by tests and tools; the browser only decodes). */
export function encodeFrame(kind: FrameKind, offset: number, data: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(FRAME_HEADER_LEN + data.byteLength);
  const view = new DataView(buffer);
  view.setUint8(0, kind === 'output' ? 0 : 1);
  view.setBigUint64(1, BigInt(offset), false);
  new Uint8Array(buffer, FRAME_HEADER_LEN).set(data);
  return buffer;
}
