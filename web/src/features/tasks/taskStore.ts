import { Store, useStore } from '../../shared/store';
import { isNewer, upsertTaskList } from './board';
import { groupOverlaps } from './radar';
import { tasksApi } from './tasksApi';
import type { Overlap, ProjectView, SchedulerView, TaskView } from './taskTypes';

export interface TasksState {
  /** null until the first list arrived. */
  list: TaskView[] | null;
  scheduler: SchedulerView | null;
  /** The conflict radar's latest overlaps, by project. */
  radar: ReadonlyMap<string, Overlap[]>;
  /** Project names for the cards and the dialog (null until listed). */
  projects: ProjectView[] | null;
}

export const taskStore = new Store<TasksState>({ list: null, scheduler: null, radar: new Map(), projects: null });

export function useTasks(): TasksState {
  return useStore(taskStore);
}

/** Task events that arrived while a list request was in flight: newer than its answer. */
let pending: Map<string, TaskView> | null = null;
let generation = 0;

/**
 * A view of one task: from a `task` event, or (`fromRest`) the answer to a request about it,
 * which never replaces a view of the same instant (an event may have overtaken it).
 */
export function upsertTask(view: TaskView, fromRest = false): void {
  const seen = pending?.get(view.id);
  if (!seen || isNewer(seen, view, fromRest)) pending?.set(view.id, view);
  const before = taskStore.get().list?.find((t) => t.id === view.id)?.status;
  taskStore.update((s) => (s.list === null ? s : { ...s, list: upsertTaskList(s.list, view, fromRest) }));
  // The server sends `scheduler` events for limits and holds only: the running and queued
  // counts are re-read when a task appears or changes state.
  if (taskStore.get().scheduler !== null && before !== view.status) scheduleSchedulerRefresh();
}

const SCHEDULER_DEBOUNCE_MS = 250;
let schedulerTimer: ReturnType<typeof setTimeout> | null = null;

function scheduleSchedulerRefresh(): void {
  if (schedulerTimer !== null) return;
  schedulerTimer = setTimeout(() => {
    schedulerTimer = null;
    tasksApi.scheduler().then(setScheduler, () => undefined);
  }, SCHEDULER_DEBOUNCE_MS);
}

export function setScheduler(view: SchedulerView): void {
  taskStore.update((s) => ({ ...s, scheduler: view }));
}

/** A `radar` event: the project's overlaps now (an empty list clears its warnings). */
export function setRadar(projectId: string, overlaps: Overlap[]): void {
  taskStore.update((s) => ({ ...s, radar: new Map(s.radar).set(projectId, overlaps) }));
}

/** Re-lists tasks, the scheduler, the radar and projects (the board opened, or a resync). */
export async function refreshTasks(): Promise<void> {
  const mine = ++generation;
  pending = new Map();
  try {
    const [list, scheduler, radar, projects] = await Promise.all([tasksApi.list(), tasksApi.scheduler(), tasksApi.radar(), tasksApi.projects()]);
    if (mine !== generation) return;
    let merged = list;
    for (const view of pending.values()) merged = upsertTaskList(merged, view);
    taskStore.set({ list: merged, scheduler, radar: groupOverlaps(radar), projects });
  } catch {
    // shown as a toast (or the token page) by the API client
  } finally {
    if (mine === generation) pending = null;
  }
}

/** After a (re)connect: re-list only if the board has been loaded (events were missed meanwhile). */
export function resyncTasks(): void {
  if (taskStore.get().list !== null) void refreshTasks();
}

/** Scans the live sandboxes again (`?refresh=true`) and shows what it found. */
export async function rescanRadar(): Promise<void> {
  const radar = await tasksApi.radar(true);
  taskStore.update((s) => ({ ...s, radar: groupOverlaps(radar) }));
}
