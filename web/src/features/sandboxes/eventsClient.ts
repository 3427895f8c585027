import type { AgentEntry, ProjectView, PullView, SandboxView, TerminalView } from '../../shared/api/types';
import type { RunEventPayload } from '../runs/runStore';
import type { Overlap, SchedulerView, TaskView } from '../tasks/taskTypes';
import { ReconnectingSocket, type SocketLike, type SocketState } from '../../shared/ws/ReconnectingSocket';

/** Messages of `/ws/events` (server → client). */
export type ServerEvent =
  | { type: 'hello'; payload: { driver: string } }
  | { type: 'sandbox'; payload: SandboxView }
  | { type: 'sandbox_removed'; payload: { id: string } }
  | { type: 'terminal'; payload: TerminalView }
  | { type: 'terminal_removed'; payload: { id: string } }
  | { type: 'agent_state'; payload: AgentEntry }
  | { type: 'rate_limited'; payload: RateLimitedPayload }
  | { type: 'run'; payload: RunEventPayload }
  | { type: 'project'; payload: ProjectView }
  | { type: 'project_removed'; payload: { id: string } }
  | { type: 'pull'; payload: PullView }
  | { type: 'github_auth' }
  | { type: 'setup'; payload: SetupPayload }
  | { type: 'task'; payload: TaskView }
  | { type: 'scheduler'; payload: SchedulerView }
  | { type: 'radar'; payload: RadarPayload }
  | { type: 'workflow_run'; payload: { id: string } }
  | { type: 'resync' }
  | { type: 'pong' };

/** A sandbox's agent got `429`/`529` from the model (through the proxy). */
export interface RateLimitedPayload {
  sandboxId: string;
  status: number;
  retryAfterSecs?: number | null;
}

/** The conflict radar's overlaps of one project now (empty: none left). */
export interface RadarPayload {
  projectId: string;
  overlaps: Overlap[];
}

/** A project sandbox's setup (the terminal named `setup`) started or finished. */
export interface SetupPayload {
  sandboxId: string;
  /** Empty when the setup terminal could not be started. */
  terminalId: string;
  state: 'running' | 'succeeded' | 'failed';
  exitCode?: number | null;
}

const TYPES = new Set([
  'hello',
  'sandbox',
  'sandbox_removed',
  'terminal',
  'terminal_removed',
  'agent_state',
  'rate_limited',
  'run',
  'project',
  'project_removed',
  'pull',
  'github_auth',
  'setup',
  'task',
  'scheduler',
  'radar',
  'workflow_run',
  'resync',
  'pong',
]);
/** Types that carry no payload. */
const BARE = new Set(['resync', 'pong', 'github_auth']);

/** Parses one text frame; null for anything unknown (newer servers may add types). */
export function parseEvent(text: string): ServerEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type, payload } = value as { type?: unknown; payload?: unknown };
  if (typeof type !== 'string' || !TYPES.has(type)) return null;
  if (!BARE.has(type) && (typeof payload !== 'object' || payload === null)) return null;
  return value as ServerEvent;
}

export interface EventsClientOptions {
  url: () => string;
  createSocket?: (url: string) => SocketLike;
  random?: () => number;
  /** Every event except `pong`. */
  onEvent: (event: ServerEvent) => void;
  /** Connected (again) or told to resync: the caller re-lists everything. */
  onResync: () => void;
  onState?: (state: SocketState) => void;
}

/**
 * The `/ws/events` subscription: reconnects with backoff (ReconnectingSocket), pings so an idle
 * link is not mistaken for a dead one, and asks for a re-list after every (re)connect and `resync`
 * (events sent while disconnected are lost).
 */
export class EventsClient {
  private readonly socket: ReconnectingSocket;

  constructor(private readonly options: EventsClientOptions) {
    this.socket = new ReconnectingSocket(
      {
        url: options.url,
        createSocket: options.createSocket,
        random: options.random,
        heartbeatMessage: () => JSON.stringify({ type: 'ping', payload: {} }),
      },
      {
        message: (data) => this.handle(data),
        state: (state) => options.onState?.(state),
      },
    );
  }

  start(): void {
    this.socket.start();
  }

  stop(): void {
    this.socket.stop(1000, 'closed by client');
  }

  reconnectNow(): void {
    this.socket.reconnectNow();
  }

  private handle(data: ArrayBuffer | string): void {
    if (typeof data !== 'string') return;
    const event = parseEvent(data);
    if (!event || event.type === 'pong') return;
    this.options.onEvent(event);
    if (event.type === 'hello' || event.type === 'resync') this.options.onResync();
  }
}
