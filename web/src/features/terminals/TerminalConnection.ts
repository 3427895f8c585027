import { type CloseInfo, ReconnectingSocket, type SocketLike, type SocketState } from '../../shared/ws/ReconnectingSocket';
import { decodeFrame } from './frame';
import { OutputTracker } from './outputTracker';
import {
  type ClientMessage,
  type LiveStatus,
  type ServerMessage,
  type TerminalCommand,
  encodeClientMessage,
  parseServerMessage,
} from './protocol';

/** Where output goes: the xterm.js terminal in the app, a recorder in tests. */
export interface TerminalSink {
  reset(): void;
  /** Must call `done` once the bytes are on the screen (xterm's write callback). */
  write(data: Uint8Array, done: () => void): void;
  resize(cols: number, rows: number): void;
}

export interface ExitInfo {
  code: number | null;
  signal: number | null;
}

export interface TerminalConnectionState {
  socket: SocketState;
  /** Epoch ms of the next reconnect attempt while `socket` is `waiting`. */
  retryAt: number | null;
  /** Last `status` from the server on the current connection (null while not connected). */
  live: LiveStatus | null;
  liveReason: string | null;
  cols: number | null;
  rows: number | null;
  /** Offset after the last byte received. */
  next: number | null;
  /** Offset after the last byte on the screen. */
  written: number | null;
  /** Oldest replayable / newest offset as of the last `hello`. */
  startOffset: number | null;
  endOffset: number | null;
  exit: ExitInfo | null;
  lastError: { code: string; message: string } | null;
  /** The server closed with 4404: the terminal is gone. */
  notFound: boolean;
  latencyMs: number | null;
  /** UTF-8 bytes of keyboard input waiting for the next connection (sent after its `hello`). */
  queuedInput: number;
}

export interface TerminalConnectionOptions {
  terminalId: string;
  sink: TerminalSink;
  /** Builds the WebSocket URL for the given query parameters. */
  url: (path: string, params: Record<string, string | number | null>) => string;
  /** Size to request on connect (the fitted size of a visible pane), or null for the server's. */
  connectSize?: () => { cols: number; rows: number } | null;
  initialExit?: ExitInfo | null;
  createSocket?: (url: string) => SocketLike;
  random?: () => number;
  now?: () => number;
  onChange?: (state: TerminalConnectionState) => void;
  onServerError?: (error: { code: string; message: string }) => void;
  /** After `hello` (the server's size is applied): a visible pane re-fits here. */
  onHello?: () => void;
  /** An attempt failed before opening (maybe 401 or an unknown id: the caller can ask REST). */
  onConnectFailed?: () => void;
}

/** Close code the server uses for an unknown terminal id. */
export const NOT_FOUND_CLOSE_CODE = 4404;

/** Input typed while disconnected is kept up to this many UTF-8 bytes; more is dropped. */
export const INPUT_QUEUE_LIMIT = 64 * 1024;
/** Queued input is flushed in `input` messages of at most this many UTF-16 units (text frames are limited to 64 KiB). */
const INPUT_CHUNK = 8 * 1024;

const utf8 = new TextEncoder();

/**
 * One browser-side attachment to `/ws/terminals/:id`: decodes frames, keeps offsets, acks writes,
 * resumes after drops and exposes the connection state. Knows nothing about React or the DOM.
 */
export class TerminalConnection {
  private readonly options: TerminalConnectionOptions;
  private readonly tracker = new OutputTracker();
  private readonly socket: ReconnectingSocket;
  private pending: TerminalCommand | null = null;
  /** The current socket got its `hello`: input can go straight to the server. */
  private greeted = false;
  private inputQueue: string[] = [];
  private stateValue: TerminalConnectionState;

  constructor(options: TerminalConnectionOptions) {
    this.options = options;
    this.stateValue = {
      socket: 'idle',
      retryAt: null,
      live: null,
      liveReason: null,
      cols: null,
      rows: null,
      next: null,
      written: null,
      startOffset: null,
      endOffset: null,
      exit: options.initialExit ?? null,
      lastError: null,
      notFound: false,
      latencyMs: null,
      queuedInput: 0,
    };
    const now = options.now ?? Date.now;
    this.socket = new ReconnectingSocket(
      {
        url: () => this.buildUrl(),
        createSocket: options.createSocket,
        random: options.random,
        now,
        heartbeatMessage: () => encodeClientMessage({ type: 'ping', payload: { timestamp: now() } }),
        shouldReconnect: (info) => this.shouldReconnect(info),
      },
      {
        open: () => this.handleOpen(),
        message: (data) => this.handleMessage(data),
        close: (info) => this.handleClose(info),
        state: (socket, retryAt) => {
          this.update({ socket, retryAt });
          // Closed for good (exited, not found, disposed): nobody will read queued keys.
          if (socket === 'stopped') this.dropInputQueue();
        },
      },
    );
  }

  get state(): TerminalConnectionState {
    return this.stateValue;
  }

  start(): void {
    this.socket.start();
  }

  dispose(): void {
    this.socket.stop(1000, 'closed by client');
    this.dropInputQueue();
  }

  reconnectNow(): void {
    this.socket.reconnectNow();
  }

  /**
   * Keystrokes to the PTY. While the socket is (re)connecting they are queued (bounded by
   * `INPUT_QUEUE_LIMIT`) and sent, in order, right after the next `hello`. Returns false when the
   * input was dropped: the queue is full, or the connection is stopped for good.
   */
  sendInput(data: string): boolean {
    if (data === '') return true;
    if (this.greeted && this.inputQueue.length === 0 && this.send({ type: 'input', payload: { data } })) return true;
    if (this.stateValue.socket === 'stopped') return false;
    const size = utf8.encode(data).length;
    if (this.stateValue.queuedInput + size > INPUT_QUEUE_LIMIT) return false;
    this.inputQueue.push(data);
    this.update({ queuedInput: this.stateValue.queuedInput + size });
    return true;
  }

  /** Raw bytes to the PTY (xterm's onBinary: mouse reports that are not valid UTF-8). */
  sendBinary(data: Uint8Array<ArrayBuffer>): boolean {
    return this.socket.send(data);
  }

  /** Our viewport changed: tell the server (if connected; the next connect carries it anyway). */
  resize(cols: number, rows: number): void {
    this.update({ cols, rows });
    this.send({ type: 'resize', payload: { cols, rows } });
  }

  /** Send a command; `restart` also reconnects a socket that was closed after the exit. */
  command(command: TerminalCommand): void {
    if (command === 'restart') this.update({ exit: null });
    if (this.send({ type: 'command', payload: { command } })) return;
    this.pending = command;
    this.socket.reconnectNow();
  }

  private buildUrl(): string {
    const size = this.options.connectSize?.() ?? null;
    return this.options.url(`/ws/terminals/${encodeURIComponent(this.options.terminalId)}`, {
      from: this.tracker.resumeFrom(),
      cols: size?.cols ?? null,
      rows: size?.rows ?? null,
    });
  }

  private send(message: ClientMessage): boolean {
    return this.socket.send(encodeClientMessage(message));
  }

  private shouldReconnect(info: CloseInfo): boolean {
    if (info.code === NOT_FOUND_CLOSE_CODE) {
      this.update({ notFound: true });
      return false;
    }
    // The process ended and the server closed normally: wait for the user (Restart reconnects).
    if (info.code === 1000 && this.stateValue.exit !== null) return false;
    return true;
  }

  private handleOpen(): void {
    this.greeted = false;
    this.tracker.connectionOpened();
    this.update({ live: 'connecting', liveReason: null });
  }

  private handleClose(info: CloseInfo): void {
    this.greeted = false;
    this.update({ live: null, liveReason: null });
    if (!info.wasOpen && info.code !== NOT_FOUND_CLOSE_CODE) this.options.onConnectFailed?.();
  }

  private handleMessage(data: ArrayBuffer | string): void {
    if (typeof data === 'string') {
      const message = parseServerMessage(data);
      if (message) this.handleControl(message);
      return;
    }
    let frame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      console.warn('anycode: bad frame', error);
      return;
    }
    const accepted = this.tracker.accept(frame);
    if (accepted.action === 'ignore') return;
    if (accepted.action === 'resync') {
      console.warn(`anycode: output gap (expected ${accepted.expected}, got ${accepted.got}); resyncing`);
      this.tracker.requestSnapshot();
      this.socket.stop(4000, 'resync');
      this.socket.reconnectNow();
      return;
    }
    const { sink } = this.options;
    if (accepted.reset) sink.reset();
    const token = accepted.token;
    sink.write(accepted.data, () => {
      const ack = this.tracker.onWritten(token);
      if (ack !== null) this.send({ type: 'ack', payload: { offset: ack } });
      this.update({ written: this.tracker.written });
    });
    this.update({ next: this.tracker.next });
  }

  private handleControl(message: ServerMessage): void {
    switch (message.type) {
      case 'hello': {
        const { cols, rows, startOffset, endOffset } = message.payload;
        this.options.sink.resize(cols, rows);
        this.update({ cols, rows, startOffset, endOffset });
        this.greeted = true;
        this.flushInput();
        const pending = this.pending;
        this.pending = null;
        if (pending) this.send({ type: 'command', payload: { command: pending } });
        this.options.onHello?.();
        break;
      }
      case 'status': {
        const { status, reason } = message.payload;
        const patch: Partial<TerminalConnectionState> = { live: status, liveReason: reason ?? null };
        // A fresh process after a restart is running again.
        if ((status === 'ready' || status === 'busy') && this.stateValue.live === 'disconnected') patch.exit = null;
        this.update(patch);
        break;
      }
      case 'resize': {
        const { cols, rows } = message.payload;
        this.options.sink.resize(cols, rows);
        this.update({ cols, rows });
        break;
      }
      case 'exit':
        this.update({ exit: { code: message.payload.code, signal: message.payload.signal } });
        break;
      case 'error':
        this.update({ lastError: message.payload });
        this.options.onServerError?.(message.payload);
        break;
      case 'pong': {
        const sent = message.payload.timestamp;
        if (typeof sent === 'number') this.update({ latencyMs: Math.max(0, (this.options.now ?? Date.now)() - sent) });
        break;
      }
    }
  }

  /** Send the keys typed while disconnected, oldest first. */
  private flushInput(): void {
    if (this.inputQueue.length === 0) return;
    const text = this.inputQueue.join('');
    let sent = 0;
    while (sent < text.length) {
      let end = Math.min(text.length, sent + INPUT_CHUNK);
      // Never split a surrogate pair between two messages.
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
      if (!this.send({ type: 'input', payload: { data: text.slice(sent, end) } })) break;
      sent = end;
    }
    this.inputQueue = sent < text.length ? [text.slice(sent)] : [];
    this.update({ queuedInput: sent < text.length ? utf8.encode(text.slice(sent)).length : 0 });
  }

  private dropInputQueue(): void {
    this.inputQueue = [];
    if (this.stateValue.queuedInput !== 0) this.update({ queuedInput: 0 });
  }

  private update(patch: Partial<TerminalConnectionState>): void {
    this.stateValue = { ...this.stateValue, ...patch };
    this.options.onChange?.(this.stateValue);
  }
}
