import type { OutputFrame } from './frame';

/** Identifies one write to the screen so its completion can be matched to the current state. */
export interface WriteToken {
  /** Offset just after the written bytes (for a snapshot: the offset output continues from). */
  end: number;
  screen: number;
  connection: number;
}

export type Acceptance =
  /** Write `data` (after resetting the screen when `reset`), then report `token` to `onWritten()`. */
  | { action: 'write'; reset: boolean; data: Uint8Array; token: WriteToken }
  /** Already have every byte of this frame (a duplicate after reconnect). */
  | { action: 'ignore' }
  /** Bytes are missing before this frame: reconnect and ask for a snapshot. */
  | { action: 'resync'; expected: number; got: number };

/**
 * Offset and ack bookkeeping for one terminal's output stream.
 *
 * - `next`: offset after the last byte received (what a reconnect resumes `from`);
 * - `written`: offset after the last byte the screen has processed;
 * - acks go out once per completed write, never backwards, and only for writes made on the
 *   current connection and the current screen (a snapshot resets the screen: older writes that
 *   finish afterwards must not be acknowledged).
 */
export class OutputTracker {
  private nextValue: number | null = null;
  private writtenValue: number | null = null;
  private lastAck: number | null = null;
  private screen = 0;
  private connection = 0;

  get next(): number | null {
    return this.nextValue;
  }

  get written(): number | null {
    return this.writtenValue;
  }

  /** Offset to resume from when (re)connecting; null asks the server for a snapshot. */
  resumeFrom(): number | null {
    return this.nextValue;
  }

  /** A new socket is open: acks start afresh on it. */
  connectionOpened(): void {
    this.connection += 1;
    this.lastAck = null;
  }

  /** Forget the position so the next connection asks for a snapshot (after a gap). */
  requestSnapshot(): void {
    this.nextValue = null;
  }

  accept(frame: OutputFrame): Acceptance {
    if (frame.kind === 'snapshot') {
      this.screen += 1;
      this.nextValue = frame.offset;
      this.writtenValue = null;
      return { action: 'write', reset: true, data: frame.data, token: this.token(frame.offset) };
    }
    const end = frame.offset + frame.data.byteLength;
    const next = this.nextValue;
    if (next !== null && frame.offset > next) {
      return { action: 'resync', expected: next, got: frame.offset };
    }
    if (next !== null && end <= next) return { action: 'ignore' };
    const data = next !== null && frame.offset < next ? frame.data.subarray(next - frame.offset) : frame.data;
    this.nextValue = end;
    return { action: 'write', reset: false, data, token: this.token(end) };
  }

  /**
   * The screen finished a write. Returns the offset to acknowledge, or null when no ack is due
   * (stale write, other connection, or nothing new).
   */
  onWritten(token: WriteToken): number | null {
    if (token.screen !== this.screen) return null;
    if (this.writtenValue === null || token.end > this.writtenValue) this.writtenValue = token.end;
    if (token.connection !== this.connection) return null;
    if (this.lastAck !== null && token.end <= this.lastAck) return null;
    this.lastAck = token.end;
    return token.end;
  }

  private token(end: number): WriteToken {
    return { end, screen: this.screen, connection: this.connection };
  }
}
