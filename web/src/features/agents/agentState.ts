import type { AgentEntry, AgentState } from '../../shared/api/types';

/** Most urgent first: what a person should look at before anything else. */
export const URGENCY: readonly AgentState[] = ['waiting_for_input', 'error', 'working', 'starting', 'idle', 'done'];

const LABELS: Record<AgentState, string> = {
  starting: 'starting',
  working: 'working',
  waiting_for_input: 'needs input',
  idle: 'idle',
  done: 'done',
  error: 'error',
};

export function agentLabel(state: AgentState): string {
  return LABELS[state];
}

/** The most urgent of `states` (see `URGENCY`), or null for none. */
export function mostUrgent(states: Iterable<AgentState>): AgentState | null {
  let best: AgentState | null = null;
  let bestRank = URGENCY.length;
  for (const state of states) {
    const rank = URGENCY.indexOf(state);
    if (rank >= 0 && rank < bestRank) {
      best = state;
      bestRank = rank;
    }
  }
  return best;
}

/** The most urgent agent entry of one sandbox (its terminals' agents), or null. */
export function sandboxAgent(agents: Iterable<AgentEntry>, sandboxId: string): AgentEntry | null {
  const mine = [...agents].filter((a) => a.sandboxId === sandboxId);
  const state = mostUrgent(mine.map((a) => a.agent.state));
  return state === null ? null : (mine.find((a) => a.agent.state === state) ?? null);
}
