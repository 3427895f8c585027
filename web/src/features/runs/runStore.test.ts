import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunDetail, RunView } from '../../shared/api/types';

const get = vi.fn<(id: string) => Promise<RunDetail>>();
const list = vi.fn<() => Promise<RunView[]>>();
vi.mock('./runsApi', () => ({ runsApi: { get: (id: string) => get(id), list: () => list() } }));

const { onRunEvent, runStore, selectRun } = await import('./runStore');

const run = (id: string, status = 'running'): RunView => ({ id, status, createdAt: '2026-01-01T00:00:00Z', prompt: 'p', sandboxId: 's', terminalId: 't' });

describe('run events', () => {
  beforeEach(() => {
    runStore.set({ list: [run('a')], details: new Map(), selected: null });
    get.mockReset();
    list.mockReset();
  });
  afterEach(() => vi.clearAllMocks());

  it('update a known run in place, without fetching logs nobody opened', () => {
    onRunEvent({ id: 'a', status: 'completed', sandboxId: 's', terminalId: 't' });
    expect(runStore.get().list?.[0]?.status).toBe('completed');
    expect(get).not.toHaveBeenCalled();
    expect(list).not.toHaveBeenCalled();
  });

  it('re-list for a run started elsewhere', () => {
    list.mockResolvedValue([run('b'), run('a')]);
    onRunEvent({ id: 'b', status: 'running', sandboxId: 's', terminalId: 't' });
    expect(list).toHaveBeenCalledOnce();
  });

  it('coalesce a burst of events for the open run into at most one extra fetch', async () => {
    let release: () => void = () => undefined;
    get.mockImplementation(
      (id) =>
        new Promise((resolve) => {
          release = () => resolve({ run: run(id, 'completed'), events: [] });
        }),
    );
    selectRun('a');
    for (let i = 0; i < 5; i += 1) onRunEvent({ id: 'a', status: 'running', sandboxId: 's', terminalId: 't' });
    expect(get).toHaveBeenCalledTimes(1);
    release();
    await vi.waitFor(() => expect(get).toHaveBeenCalledTimes(2));
    release();
    await vi.waitFor(() => expect(runStore.get().details.get('a')?.run.status).toBe('completed'));
    expect(get).toHaveBeenCalledTimes(2);
  });
});
