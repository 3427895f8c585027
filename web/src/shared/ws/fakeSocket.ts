import type { SocketLike } from './ReconnectingSocket';

/** In-memory SocketLike for tests: drive it with `serverOpen`, `serverSend`, `serverClose`. */
export class FakeSocket implements SocketLike {
  binaryType: BinaryType = 'blob';
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  readonly sent: (string | Uint8Array)[] = [];
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(readonly url: string) {}

  send(data: string | ArrayBufferLike | ArrayBufferView<ArrayBuffer>): void {
    if (typeof data === 'string') this.sent.push(data);
    else if (ArrayBuffer.isView(data)) this.sent.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
    else this.sent.push(new Uint8Array(data).slice());
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
  }

  /** JSON text frames the client sent, parsed. */
  sentJson(): { type: string; payload: Record<string, unknown> }[] {
    return this.sent
      .filter((m): m is string => typeof m === 'string')
      .map((m) => JSON.parse(m) as { type: string; payload: Record<string, unknown> });
  }

  serverOpen(): void {
    this.onopen?.({} as Event);
  }

  serverSend(data: string | ArrayBuffer): void {
    this.onmessage?.({ data } as MessageEvent);
  }

  serverClose(code = 1006, reason = ''): void {
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

/** A factory that records every socket it makes. */
export function fakeSocketFactory(): { sockets: FakeSocket[]; create: (url: string) => FakeSocket; last: () => FakeSocket } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    create: (url: string) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    last: () => {
      const socket = sockets[sockets.length - 1];
      if (!socket) throw new Error('no socket created yet');
      return socket;
    },
  };
}
