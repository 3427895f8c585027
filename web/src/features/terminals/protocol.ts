/**
 * JSON control messages of `/ws/terminals/:id` (docs/protocol.md). Every message is
 * `{"type": …, "payload": {…}}`.
 */

export type TerminalCommand = 'interrupt' | 'kill' | 'restart';

export type ClientMessage =
  | { type: 'input'; payload: { data: string } }
  | { type: 'resize'; payload: { cols: number; rows: number } }
  | { type: 'ping'; payload: { timestamp?: number } }
  | { type: 'command'; payload: { command: TerminalCommand } }
  | { type: 'ack'; payload: { offset: number } };

/** Live state reported by the server's `status` message. */
export type LiveStatus = 'connecting' | 'ready' | 'busy' | 'disconnected';

export interface HelloPayload {
  terminalId: string;
  cols: number;
  rows: number;
  startOffset: number;
  endOffset: number;
  window: number;
}

export type ServerMessage =
  | { type: 'hello'; payload: HelloPayload }
  | { type: 'status'; payload: { status: LiveStatus; reason?: string | null } }
  | { type: 'resize'; payload: { cols: number; rows: number } }
  | { type: 'exit'; payload: { code: number | null; signal: number | null } }
  | { type: 'error'; payload: { code: string; message: string } }
  | { type: 'pong'; payload: { timestamp?: number | null } };

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

const SERVER_TYPES = new Set(['hello', 'status', 'resize', 'exit', 'error', 'pong']);

/**
 * Parses a server text frame. Returns null for anything that is not a known message with an
 * object payload (the caller logs and ignores it: newer servers may add types).
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type, payload } = value as { type?: unknown; payload?: unknown };
  if (typeof type !== 'string' || !SERVER_TYPES.has(type)) return null;
  if (typeof payload !== 'object' || payload === null) return null;
  return value as ServerMessage;
}
