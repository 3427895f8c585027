import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeSocketFactory } from '../../shared/ws/fakeSocket';
import { EventsClient, parseEvent, type ServerEvent } from './eventsClient';

describe('EventsClient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const factory = fakeSocketFactory();
    const events: ServerEvent[] = [];
    const onResync = vi.fn();
    const client = new EventsClient({
      url: () => 'ws://h/ws/events',
      createSocket: factory.create,
      random: () => 0.5,
      onEvent: (e) => events.push(e),
      onResync,
    });
    return { client, factory, events, onResync };
  }

  it('re-lists after hello, after a reconnect and on resync', () => {
    const { client, factory, events, onResync } = setup();
    client.start();
    factory.last().serverOpen();
    factory.last().serverSend('{"type":"hello","payload":{"driver":"docker"}}');
    expect(onResync).toHaveBeenCalledTimes(1);
    factory.last().serverSend('{"type":"sandbox_removed","payload":{"id":"s1"}}');
    factory.last().serverSend('{"type":"resync"}');
    expect(onResync).toHaveBeenCalledTimes(2);
    factory.last().serverClose(1006);
    vi.advanceTimersByTime(600);
    expect(factory.sockets.length).toBe(2);
    factory.last().serverOpen();
    factory.last().serverSend('{"type":"hello","payload":{"driver":"docker"}}');
    expect(onResync).toHaveBeenCalledTimes(3);
    expect(events.map((e) => e.type)).toEqual(['hello', 'sandbox_removed', 'resync', 'hello']);
    client.stop();
  });

  it('pings and ignores pongs and unknown messages', () => {
    const { client, factory, events } = setup();
    client.start();
    factory.last().serverOpen();
    vi.advanceTimersByTime(15_000);
    expect(factory.last().sentJson()).toEqual([{ type: 'ping', payload: {} }]);
    factory.last().serverSend('{"type":"pong"}');
    factory.last().serverSend('{"type":"future","payload":{}}');
    factory.last().serverSend('not json');
    expect(events).toEqual([]);
    expect(parseEvent('{"type":"sandbox"}')).toBeNull();
    expect(parseEvent('{"type":"agent_state","payload":{"terminalId":"t","agent":{"state":"idle"}}}')?.type).toBe('agent_state');
    expect(parseEvent('{"type":"rate_limited","payload":{"sandboxId":"s","status":429,"retryAfterSecs":3}}')?.type).toBe('rate_limited');
    expect(parseEvent('{"type":"github_auth"}')?.type).toBe('github_auth');
    expect(parseEvent('{"type":"pull","payload":{"projectId":"p","number":1}}')?.type).toBe('pull');
    expect(parseEvent('{"type":"setup","payload":{"sandboxId":"s","terminalId":"t","state":"running"}}')?.type).toBe('setup');
    expect(parseEvent('{"type":"project_removed","payload":{"id":"p"}}')?.type).toBe('project_removed');
    expect(parseEvent('{"type":"project"}')).toBeNull();
    client.stop();
  });
});
