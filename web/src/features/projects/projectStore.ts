import type { ProjectView, PullView } from '../../shared/api/types';
import { Store, useStore } from '../../shared/store';
import { projectsApi, pullsApi } from './projectsApi';

/** A sandbox's setup run (the terminal named `setup`), from `setup` events. */
export interface SetupState {
  terminalId: string;
  state: 'running' | 'succeeded' | 'failed';
  exitCode: number | null;
}

export interface ProjectsState {
  /** null until the first list arrived. */
  list: ProjectView[] | null;
  /** Every known pull request, by `projectId#number`. */
  pulls: ReadonlyMap<string, PullView>;
  /** Setup runs by sandbox id. */
  setups: ReadonlyMap<string, SetupState>;
  /** Files the last PR draft of a sandbox found in conflict with its base, by sandbox id. */
  draftConflicts: ReadonlyMap<string, string[]>;
  /** Projects deleted while this page was open (a project page open on one says so). */
  removed: ReadonlySet<string>;
}

export const projectStore = new Store<ProjectsState>({
  list: null,
  pulls: new Map(),
  setups: new Map(),
  draftConflicts: new Map(),
  removed: new Set(),
});

export function useProjects(): ProjectsState {
  return useStore(projectStore);
}

export const pullKey = (projectId: string, number: number) => `${projectId}#${number}`;

/** Sorted by name, so the list does not jump as events arrive. */
const sorted = (list: ProjectView[]) => [...list].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

export function setProjects(list: ProjectView[]): void {
  projectStore.update((s) => ({ ...s, list: sorted(list) }));
}

export function upsertProject(view: ProjectView): void {
  projectStore.update((s) => {
    const list = s.list ?? [];
    return { ...s, list: sorted([...list.filter((p) => p.id !== view.id), view]) };
  });
}

export function removeProject(id: string): void {
  projectStore.update((s) => ({
    ...s,
    list: s.list?.filter((p) => p.id !== id) ?? null,
    pulls: new Map([...s.pulls].filter(([, pr]) => pr.projectId !== id)),
    removed: new Set(s.removed).add(id),
  }));
}

/** A newer view of a pull request (event or REST answer); older `updatedAt` never wins. */
export function upsertPull(view: PullView): void {
  projectStore.update((s) => {
    const key = pullKey(view.projectId, view.number);
    const current = s.pulls.get(key);
    if (current && current.updatedAt > view.updatedAt) return s;
    return { ...s, pulls: new Map(s.pulls).set(key, view) };
  });
}

export function setPulls(list: PullView[]): void {
  projectStore.update((s) => ({ ...s, pulls: new Map(list.map((pr) => [pullKey(pr.projectId, pr.number), pr])) }));
}

export function setSetup(sandboxId: string, setup: SetupState): void {
  projectStore.update((s) => ({ ...s, setups: new Map(s.setups).set(sandboxId, setup) }));
}

export function setDraftConflicts(sandboxId: string, files: string[]): void {
  projectStore.update((s) => ({ ...s, draftConflicts: new Map(s.draftConflicts).set(sandboxId, files) }));
}

let generation = 0;

/** Re-list projects and pull requests (after a (re)connect or `resync`, or when a view opens). */
export async function refreshProjects(): Promise<void> {
  const mine = ++generation;
  try {
    const [list, pulls] = await Promise.all([projectsApi.list(), pullsApi.list()]);
    if (mine !== generation) return;
    setProjects(list);
    setPulls(pulls);
  } catch {
    // shown as a toast (or the token page) by the API client
  }
}
