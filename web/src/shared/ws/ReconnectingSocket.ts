import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from './backoff';

/** The part of the browser WebSocket this class uses (a fake implements it in tests). */
export interface SocketLike {
  binaryType: BinaryType;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: string | ArrayBufferLike | ArrayBufferView<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
}

/**
 * - `connecting`: a socket is being opened;
 * - `open`: connected;
 * - `waiting`: dropped, the next attempt is scheduled at `retryAt`;
 * - `stopped`: closed for good (by `stop()` or because `shouldReconnect` said no).
 */
export type SocketState = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

export interface CloseInfo {
  code: number;
  reason: string;
  /** The socket had opened before it closed (false: the connection attempt failed). */
  wasOpen: boolean;
}

export interface SocketHandlers {
  open?: () => void;
  message?: (data: ArrayBuffer | string) => void;
  close?: (info: CloseInfo) => void;
  state?: (state: SocketState, retryAt: number | null) => void;
}

export interface ReconnectingSocketOptions {
  /** Called before every attempt, so each reconnect can carry fresh query parameters. */
  url: () => string;
  createSocket?: (url: string) => SocketLike;
  backoff?: BackoffOptions;
  random?: () => number;
  now?: () => number;
  /** Interval of the heartbeat message (default 15 s); 0 disables it. */
  heartbeatMs?: number;
  heartbeatMessage?: () => string;
  /** No inbound frame for this long means the link is dead: drop and reconnect (default 45 s). */
  idleTimeoutMs?: number;
  /** A connection that stays open this long resets the backoff (default 2 s). */
  stableMs?: number;
  /** Return false to stop instead of reconnecting after this close. */
  shouldReconnect?: (info: CloseInfo) => boolean;
}

/** Close code used locally when the idle timeout fires. */
export const IDLE_CLOSE_CODE = 4000;

type Timer = ReturnType<typeof setTimeout>;

/**
 * A WebSocket that reconnects with exponential backoff and jitter, sends a heartbeat and treats
 * a silent link as dead. It knows nothing about what it carries.
 */
export class ReconnectingSocket {
  private readonly options: ReconnectingSocketOptions;
  private readonly handlers: SocketHandlers;
  private socket: SocketLike | null = null;
  private socketOpen = false;
  private attempts = 0;
  private stateValue: SocketState = 'idle';
  private retryAtValue: number | null = null;
  private retryTimer: Timer | null = null;
  private stableTimer: Timer | null = null;
  private idleTimer: Timer | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;

  constructor(options: ReconnectingSocketOptions, handlers: SocketHandlers = {}) {
    this.options = options;
    this.handlers = handlers;
  }

  get state(): SocketState {
    return this.stateValue;
  }

  /** When the next attempt is due (epoch ms), while `state` is `waiting`. */
  get retryAt(): number | null {
    return this.retryAtValue;
  }

  /** Number of failed attempts since the last stable connection. */
  get failedAttempts(): number {
    return this.attempts;
  }

  start(): void {
    if (this.stateValue === 'idle' || this.stateValue === 'stopped') this.openSocket();
  }

  /** Skip the remaining wait (or restart after `stopped`). No-op while connecting or open. */
  reconnectNow(): void {
    if (this.stateValue === 'waiting' || this.stateValue === 'stopped' || this.stateValue === 'idle') {
      this.clearRetry();
      this.openSocket();
    }
  }

  /** Sends if open; returns false (and drops the data) otherwise. */
  send(data: string | ArrayBufferView<ArrayBuffer>): boolean {
    if (this.stateValue !== 'open' || this.socket === null) return false;
    this.socket.send(data);
    return true;
  }

  /** Closes for good; no reconnect until `start()` or `reconnectNow()`. */
  stop(code = 1000, reason = ''): void {
    this.clearRetry();
    this.detach(code, reason);
    this.setState('stopped', null);
  }

  private openSocket(): void {
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url));
    this.setState('connecting', null);
    let socket: SocketLike;
    try {
      socket = create(this.options.url());
    } catch {
      this.handleClose({ code: 1006, reason: 'connect failed', wasOpen: false });
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.socketOpen = false;
    socket.onopen = () => {
      this.socketOpen = true;
      this.setState('open', null);
      this.armIdle();
      this.startHeartbeat();
      this.stableTimer = setTimeout(() => {
        this.attempts = 0;
      }, this.options.stableMs ?? 2000);
      this.handlers.open?.();
    };
    socket.onmessage = (ev) => {
      this.armIdle();
      const data: unknown = ev.data;
      if (typeof data === 'string' || data instanceof ArrayBuffer) this.handlers.message?.(data);
    };
    socket.onclose = (ev) => {
      const wasOpen = this.socketOpen;
      this.detach();
      this.handleClose({ code: ev.code, reason: ev.reason, wasOpen });
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting is decided there.
    };
  }

  private handleClose(info: CloseInfo): void {
    this.handlers.close?.(info);
    if (this.stateValue === 'stopped') return;
    if (this.options.shouldReconnect && !this.options.shouldReconnect(info)) {
      this.setState('stopped', null);
      return;
    }
    const delay = backoffDelay(this.attempts, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    this.attempts += 1;
    const now = this.options.now ?? Date.now;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.openSocket();
    }, delay);
    this.setState('waiting', now() + delay);
  }

  /** Forget the current socket: stop its timers and handlers, close it if still there. */
  private detach(code?: number, reason?: string): void {
    this.stopTimers();
    const socket = this.socket;
    this.socket = null;
    this.socketOpen = false;
    if (socket) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
      try {
        socket.close(code, reason);
      } catch {
        // already closed
      }
    }
  }

  private armIdle(): void {
    const timeout = this.options.idleTimeoutMs ?? 45_000;
    if (timeout <= 0) return;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.detach(IDLE_CLOSE_CODE, 'idle timeout');
      this.handleClose({ code: IDLE_CLOSE_CODE, reason: 'idle timeout', wasOpen: true });
    }, timeout);
  }

  private startHeartbeat(): void {
    const interval = this.options.heartbeatMs ?? 15_000;
    const message = this.options.heartbeatMessage;
    if (interval <= 0 || !message) return;
    this.heartbeatTimer = setInterval(() => {
      this.send(message());
    }, interval);
  }

  private stopTimers(): void {
    if (this.stableTimer !== null) clearTimeout(this.stableTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.stableTimer = null;
    this.idleTimer = null;
    this.heartbeatTimer = null;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setState(state: SocketState, retryAt: number | null): void {
    this.stateValue = state;
    this.retryAtValue = retryAt;
    this.handlers.state?.(state, retryAt);
  }
}
