import type { AgentEntry } from '../../shared/api/types';
import { Store, useStore } from '../../shared/store';
import { agentsApi } from './agentsApi';

/** Every known Claude agent by terminal id (from `GET /api/agents` and `agent_state` events). */
export const agentStore = new Store<ReadonlyMap<string, AgentEntry>>(new Map());

export function useAgents(): ReadonlyMap<string, AgentEntry> {
  return useStore(agentStore);
}

export function setAgents(list: AgentEntry[]): void {
  agentStore.set(new Map(list.map((a) => [a.terminalId, a])));
}

export function upsertAgent(entry: AgentEntry): void {
  agentStore.update((current) => new Map(current).set(entry.terminalId, entry));
}

export function removeAgent(terminalId: string): void {
  agentStore.update((current) => {
    if (!current.has(terminalId)) return current;
    const next = new Map(current);
    next.delete(terminalId);
    return next;
  });
}

let generation = 0;

/** Re-list the agents (after a (re)connect or `resync`). */
export async function refreshAgents(): Promise<void> {
  const mine = ++generation;
  try {
    const list = await agentsApi.list();
    if (mine === generation) setAgents(list);
  } catch {
    // shown as a toast (or the token page) by the API client
  }
}
