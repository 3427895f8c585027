import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDLE_CLOSE_CODE, ReconnectingSocket, type ReconnectingSocketOptions, type SocketState } from './ReconnectingSocket';
import { fakeSocketFactory } from './fakeSocket';

function setup(overrides: Partial<ReconnectingSocketOptions> = {}) {
  const factory = fakeSocketFactory();
  const states: [SocketState, number | null][] = [];
  const messages: (string | ArrayBuffer)[] = [];
  let n = 0;
  const socket = new ReconnectingSocket(
    {
      url: () => `ws://test/${n++}`,
      createSocket: factory.create,
      random: () => 0.5, // no jitter
      now: () => Date.now(),
      heartbeatMessage: () => '{"type":"ping","payload":{}}',
      ...overrides,
    },
    {
      state: (s, at) => states.push([s, at]),
      message: (d) => messages.push(d),
    },
  );
  return { socket, factory, states, messages };
}

describe('ReconnectingSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries with exponential backoff while connections fail, then caps at 10 s', () => {
    const { socket, factory } = setup();
    socket.start();
    const gaps: number[] = [];
    let last = Date.now();
    for (let i = 0; i < 8; i++) {
      factory.last().serverClose(1006);
      expect(socket.state).toBe('waiting');
      const before = factory.sockets.length;
      const delay = (socket.retryAt ?? 0) - Date.now();
      vi.advanceTimersByTime(delay - 1);
      expect(factory.sockets.length).toBe(before); // not yet
      vi.advanceTimersByTime(1);
      expect(factory.sockets.length).toBe(before + 1);
      gaps.push(Date.now() - last);
      last = Date.now();
    }
    expect(gaps).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('asks for a fresh URL on every attempt', () => {
    const { socket, factory } = setup();
    socket.start();
    factory.last().serverClose();
    vi.advanceTimersByTime(500);
    expect(factory.sockets.map((s) => s.url)).toEqual(['ws://test/0', 'ws://test/1']);
    expect(factory.last().binaryType).toBe('arraybuffer');
  });

  it('resets the backoff only after a connection stayed open', () => {
    const { socket, factory } = setup();
    socket.start();
    factory.last().serverClose();
    vi.advanceTimersByTime(500);
    factory.last().serverClose();
    vi.advanceTimersByTime(1000);
    // open, then drop at once: backoff keeps growing
    factory.last().serverOpen();
    factory.last().serverClose();
    expect((socket.retryAt ?? 0) - Date.now()).toBe(2000);
    vi.advanceTimersByTime(2000);
    // open and stay up past the stable period: backoff resets
    factory.last().serverOpen();
    vi.advanceTimersByTime(2500);
    factory.last().serverClose(1001);
    expect((socket.retryAt ?? 0) - Date.now()).toBe(500);
  });

  it('reports states, including when the next attempt is due', () => {
    const { socket, factory, states } = setup();
    socket.start();
    factory.last().serverOpen();
    factory.last().serverClose();
    expect(states).toEqual([
      ['connecting', null],
      ['open', null],
      ['waiting', Date.now() + 500],
    ]);
  });

  it('sends a heartbeat every 15 s while open', () => {
    const { socket, factory } = setup();
    socket.start();
    const ws = factory.last();
    ws.serverOpen();
    vi.advanceTimersByTime(15_000);
    ws.serverSend('{"type":"pong","payload":{}}');
    vi.advanceTimersByTime(15_000);
    expect(ws.sentJson().map((m) => m.type)).toEqual(['ping', 'ping']);
  });

  it('drops a silent connection after the idle timeout and reconnects', () => {
    const { socket, factory } = setup({ idleTimeoutMs: 45_000 });
    socket.start();
    const ws = factory.last();
    ws.serverOpen();
    vi.advanceTimersByTime(40_000);
    ws.serverSend(new ArrayBuffer(10)); // any inbound frame counts as liveness
    vi.advanceTimersByTime(40_000);
    expect(socket.state).toBe('open');
    vi.advanceTimersByTime(5_000);
    expect(ws.closedWith?.code).toBe(IDLE_CLOSE_CODE);
    expect(socket.state).toBe('waiting');
    vi.advanceTimersByTime(10_000);
    expect(factory.sockets.length).toBe(2);
  });

  it('passes text and binary messages through', () => {
    const { socket, factory, messages } = setup();
    socket.start();
    factory.last().serverOpen();
    const buf = new Uint8Array([1, 2]).buffer;
    factory.last().serverSend('hi');
    factory.last().serverSend(buf);
    expect(messages).toEqual(['hi', buf]);
  });

  it('does not send while disconnected', () => {
    const { socket, factory } = setup();
    expect(socket.send('x')).toBe(false);
    socket.start();
    expect(socket.send('x')).toBe(false);
    factory.last().serverOpen();
    expect(socket.send('x')).toBe(true);
    expect(factory.last().sent).toEqual(['x']);
  });

  it('stays closed after stop() and when shouldReconnect refuses', () => {
    const a = setup();
    a.socket.start();
    a.factory.last().serverOpen();
    a.socket.stop();
    expect(a.factory.last().closedWith?.code).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(a.factory.sockets.length).toBe(1);
    expect(a.socket.state).toBe('stopped');

    const b = setup({ shouldReconnect: (info) => info.code !== 4404 });
    b.socket.start();
    b.factory.last().serverClose(4404, 'not_found');
    vi.advanceTimersByTime(60_000);
    expect(b.factory.sockets.length).toBe(1);
    expect(b.socket.state).toBe('stopped');
  });

  it('reconnectNow skips the wait', () => {
    const { socket, factory } = setup();
    socket.start();
    factory.last().serverClose();
    factory.last().serverClose(); // stale second close on the old socket is ignored
    expect(factory.sockets.length).toBe(1);
    socket.reconnectNow();
    expect(factory.sockets.length).toBe(2);
    expect(socket.state).toBe('connecting');
    vi.advanceTimersByTime(1000);
    expect(factory.sockets.length).toBe(2);
  });
});
