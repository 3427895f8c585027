import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeSocketFactory } from '../../shared/ws/fakeSocket';
import { encodeFrame } from './frame';
import { INPUT_QUEUE_LIMIT, TerminalConnection, type TerminalSink } from './TerminalConnection';

const enc = new TextEncoder();
const output = (offset: number, text: string) => encodeFrame('output', offset, enc.encode(text));
const snapshot = (offset: number, text: string) => encodeFrame('snapshot', offset, enc.encode(text));
const hello = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'hello',
    payload: { terminalId: 't1', cols: 80, rows: 24, startOffset: 0, endOffset: 0, window: 524288, ...extra },
  });

/** A screen whose writes complete only when the test says so (like xterm's async parser). */
class FakeScreen implements TerminalSink {
  text = '';
  resets = 0;
  size: [number, number] | null = null;
  private queue: { data: Uint8Array; done: () => void }[] = [];
  reset(): void {
    this.resets += 1;
    this.text = '';
  }
  write(data: Uint8Array, done: () => void): void {
    this.queue.push({ data: data.slice(), done });
  }
  resize(cols: number, rows: number): void {
    this.size = [cols, rows];
  }
  /** Process `n` pending writes (all by default). */
  flush(n = Infinity): void {
    while (n-- > 0 && this.queue.length > 0) {
      const item = this.queue.shift();
      if (!item) break;
      this.text += new TextDecoder().decode(item.data);
      item.done();
    }
  }
}

function setup(connectSize: { cols: number; rows: number } | null = { cols: 100, rows: 30 }) {
  const factory = fakeSocketFactory();
  const screen = new FakeScreen();
  const connectFailed = vi.fn();
  const conn = new TerminalConnection({
    terminalId: 't1',
    sink: screen,
    url: (path, params) => {
      const q = Object.entries(params)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join('&');
      return `ws://h${path}${q ? `?${q}` : ''}`;
    },
    connectSize: () => connectSize,
    createSocket: factory.create,
    random: () => 0.5,
    onConnectFailed: connectFailed,
  });
  const acks = () =>
    factory.sockets.flatMap((s) => s.sentJson().filter((m) => m.type === 'ack').map((m) => m.payload.offset));
  return { conn, factory, screen, acks, connectFailed };
}

describe('TerminalConnection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('connects without `from` (snapshot) and with the fitted size', () => {
    const { conn, factory } = setup();
    conn.start();
    expect(factory.last().url).toBe('ws://h/ws/terminals/t1?cols=100&rows=30');
  });

  it('resets on snapshot, writes output and acks after each write completes', () => {
    const { conn, factory, screen, acks } = setup();
    conn.start();
    const ws = factory.last();
    ws.serverOpen();
    ws.serverSend(hello());
    ws.serverSend(snapshot(10, '$ '));
    ws.serverSend(output(10, 'ls\r\n'));
    ws.serverSend(output(14, 'a b\r\n'));
    expect(screen.resets).toBe(1);
    expect(conn.state.next).toBe(19);
    expect(acks()).toEqual([]); // nothing acked before the screen processed it
    screen.flush(2);
    expect(acks()).toEqual([10, 14]);
    expect(conn.state.written).toBe(14);
    screen.flush();
    expect(acks()).toEqual([10, 14, 19]);
    expect(screen.text).toBe('$ ls\r\na b\r\n');
  });

  it('resumes from the next offset after a drop and does not double bytes', () => {
    const { conn, factory, screen, acks } = setup();
    conn.start();
    factory.last().serverOpen();
    factory.last().serverSend(snapshot(0, ''));
    factory.last().serverSend(output(0, 'hello'));
    factory.last().serverClose(1006);
    vi.advanceTimersByTime(500);
    const ws2 = factory.last();
    expect(ws2.url).toBe('ws://h/ws/terminals/t1?from=5&cols=100&rows=30');
    ws2.serverOpen();
    ws2.serverSend(output(5, ' world'));
    screen.flush();
    expect(screen.text).toBe('hello world');
    expect(screen.resets).toBe(1);
    // the old connection's writes are not acked on the new one
    expect(ws2.sentJson().filter((m) => m.type === 'ack').map((m) => m.payload.offset)).toEqual([11]);
    expect(acks()).toEqual([11]);
  });

  it('reconnects for a snapshot when output skips ahead', () => {
    const { conn, factory, screen } = setup(null);
    conn.start();
    factory.last().serverOpen();
    factory.last().serverSend(snapshot(0, ''));
    factory.last().serverSend(output(0, 'ab'));
    factory.last().serverSend(output(9, 'zz'));
    expect(factory.sockets.length).toBe(2);
    expect(factory.sockets[0]?.closedWith?.code).toBe(4000);
    expect(factory.last().url).toBe('ws://h/ws/terminals/t1');
    screen.flush();
    expect(screen.text).toBe('ab');
  });

  it('applies the server size from hello and resize', () => {
    const { conn, factory, screen } = setup(null);
    conn.start();
    factory.last().serverOpen();
    factory.last().serverSend(hello({ cols: 132, rows: 43 }));
    expect(screen.size).toEqual([132, 43]);
    factory.last().serverSend('{"type":"resize","payload":{"cols":90,"rows":20}}');
    expect(screen.size).toEqual([90, 20]);
    expect(conn.state.cols).toBe(90);
  });

  it('sends input, resize and commands as JSON', () => {
    const { conn, factory } = setup();
    conn.start();
    expect(conn.sendInput('x')).toBe(true); // queued until the hello
    factory.last().serverOpen();
    factory.last().serverSend(hello());
    conn.sendInput('ls\r');
    conn.resize(120, 40);
    conn.command('interrupt');
    expect(factory.last().sentJson()).toEqual([
      { type: 'input', payload: { data: 'x' } },
      { type: 'input', payload: { data: 'ls\r' } },
      { type: 'resize', payload: { cols: 120, rows: 40 } },
      { type: 'command', payload: { command: 'interrupt' } },
    ]);
  });

  it('keeps the exit, stops after the server closes normally, and restart reconnects', () => {
    const { conn, factory } = setup();
    conn.start();
    factory.last().serverOpen();
    factory.last().serverSend('{"type":"exit","payload":{"code":3,"signal":null}}');
    factory.last().serverSend('{"type":"status","payload":{"status":"disconnected"}}');
    expect(conn.state.exit).toEqual({ code: 3, signal: null });
    factory.last().serverClose(1000);
    vi.advanceTimersByTime(60_000);
    expect(factory.sockets.length).toBe(1);
    conn.command('restart');
    expect(conn.state.exit).toBeNull();
    expect(factory.sockets.length).toBe(2);
    factory.last().serverOpen();
    expect(factory.last().sentJson()).toEqual([]);
    factory.last().serverSend(hello());
    expect(factory.last().sentJson()).toEqual([{ type: 'command', payload: { command: 'restart' } }]);
  });

  it('stops on 4404 and reports failed attempts', () => {
    const { conn, factory, connectFailed } = setup();
    conn.start();
    factory.last().serverClose(1006);
    expect(connectFailed).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500);
    factory.last().serverOpen();
    factory.last().serverClose(4404, 'not_found');
    vi.advanceTimersByTime(60_000);
    expect(conn.state.notFound).toBe(true);
    expect(conn.state.socket).toBe('stopped');
    expect(factory.sockets.length).toBe(2);
  });

  it('sends pings with a timestamp and measures latency from pong', () => {
    vi.setSystemTime(5000);
    const { conn, factory } = setup();
    conn.start();
    factory.last().serverOpen();
    vi.advanceTimersByTime(15_000);
    const ping = factory.last().sentJson()[0];
    expect(ping).toEqual({ type: 'ping', payload: { timestamp: 20_000 } });
    vi.advanceTimersByTime(7);
    factory.last().serverSend('{"type":"pong","payload":{"timestamp":20000}}');
    expect(conn.state.latencyMs).toBe(7);
  });
  describe('input typed while not connected', () => {
    const inputs = (socket: { sentJson: () => { type: string; payload: Record<string, unknown> }[] }) =>
      socket.sentJson().filter((m) => m.type === 'input').map((m) => m.payload.data);

    it('is queued during a reconnect and sent in order right after the next hello', () => {
      const { conn, factory } = setup();
      conn.start();
      factory.last().serverOpen();
      factory.last().serverSend(hello());
      expect(conn.sendInput('a')).toBe(true);
      factory.last().serverClose(1006);
      expect(conn.state.socket).toBe('waiting');
      expect(conn.sendInput('echo ')).toBe(true);
      expect(conn.sendInput('hé\r')).toBe(true);
      expect(conn.state.queuedInput).toBe(9);
      vi.advanceTimersByTime(500);
      const second = factory.last();
      expect(factory.sockets.length).toBe(2);
      second.serverOpen();
      // Open but not greeted yet: still queued.
      expect(conn.sendInput('x')).toBe(true);
      expect(inputs(second)).toEqual([]);
      second.serverSend(hello());
      expect(inputs(second)).toEqual(['echo hé\rx']);
      expect(conn.state.queuedInput).toBe(0);
      // Afterwards input goes straight through again.
      conn.sendInput('y');
      expect(inputs(second)).toEqual(['echo hé\rx', 'y']);
    });

    it('is bounded, flushed in chunks, and dropped when the connection stops for good', () => {
      const { conn, factory } = setup();
      conn.start();
      const big = 'z'.repeat(INPUT_QUEUE_LIMIT - 1);
      expect(conn.sendInput(big)).toBe(true);
      expect(conn.sendInput('12')).toBe(false);
      expect(conn.sendInput('1')).toBe(true);
      expect(conn.state.queuedInput).toBe(INPUT_QUEUE_LIMIT);
      factory.last().serverOpen();
      factory.last().serverSend(hello());
      const sent = inputs(factory.last()) as string[];
      expect(sent.length).toBeGreaterThan(1);
      expect(sent.join('')).toBe(`${big}1`);
      expect(Math.max(...factory.last().sent.map((m) => (typeof m === 'string' ? m.length : 0)))).toBeLessThan(16 * 1024);

      factory.last().serverClose(4404, 'not_found');
      expect(conn.state.socket).toBe('stopped');
      expect(conn.sendInput('lost')).toBe(false);
      expect(conn.state.queuedInput).toBe(0);
    });
  });
});
