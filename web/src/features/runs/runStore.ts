import type { RunDetail, RunView } from '../../shared/api/types';
import { Store, useStore } from '../../shared/store';
import { runsApi } from './runsApi';

export interface RunsState {
  /** null until the first list arrived. */
  list: RunView[] | null;
  /** Event logs of the runs someone opened, by run id (kept live by `run` events). */
  details: ReadonlyMap<string, RunDetail>;
  /** The run shown in the detail pane. */
  selected: string | null;
}

export const runStore = new Store<RunsState>({ list: null, details: new Map(), selected: null });

export function useRuns(): RunsState {
  return useStore(runStore);
}

/** `run` on `/ws/events`: a run logged an event or finished. */
export interface RunEventPayload {
  id: string;
  status: string;
  sandboxId: string;
  terminalId: string;
}

export function upsertRun(view: RunView): void {
  runStore.update((s) => {
    const list = s.list ?? [];
    const index = list.findIndex((r) => r.id === view.id);
    return { ...s, list: index < 0 ? [view, ...list] : list.map((r, i) => (i === index ? view : r)) };
  });
}

function setDetail(detail: RunDetail): void {
  runStore.update((s) => ({ ...s, details: new Map(s.details).set(detail.run.id, detail) }));
  upsertRun(detail.run);
}

export function selectRun(id: string | null): void {
  runStore.update((s) => ({ ...s, selected: id }));
  if (id !== null) void loadDetail(id);
}

let generation = 0;

/** Re-list the runs (view opened, events socket (re)connected, `resync`). */
export async function refreshRuns(): Promise<void> {
  const mine = ++generation;
  try {
    const list = await runsApi.list();
    if (mine === generation) runStore.update((s) => ({ ...s, list }));
  } catch {
    // shown as a toast (or the token page) by the API client
  }
  const { selected } = runStore.get();
  if (selected !== null) void loadDetail(selected);
}

/** One fetch per run at a time; events arriving meanwhile ask for one more fetch afterwards. */
const inFlight = new Map<string, boolean>();

export async function loadDetail(id: string): Promise<void> {
  if (inFlight.has(id)) {
    inFlight.set(id, true);
    return;
  }
  inFlight.set(id, false);
  try {
    for (;;) {
      try {
        setDetail(await runsApi.get(id));
      } catch {
        // toast
      }
      if (!inFlight.get(id)) break;
      inFlight.set(id, false);
    }
  } finally {
    inFlight.delete(id);
  }
}

/** A `run` event: its status in the list, and its log when it is open. */
export function onRunEvent(p: RunEventPayload): void {
  const { list, details, selected } = runStore.get();
  const known = list?.find((r) => r.id === p.id);
  if (known) {
    if (known.status !== p.status) upsertRun({ ...known, status: p.status });
  } else if (list !== null) {
    void refreshRuns();
  }
  if (selected === p.id || details.has(p.id)) void loadDetail(p.id);
}
