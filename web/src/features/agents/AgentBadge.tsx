import type { AgentStatus } from '../../shared/api/types';
import { formatDateTime, formatRelative } from '../../shared/time';
import { agentLabel } from './agentState';

interface AgentBadgeProps {
  agent: AgentStatus;
  testId: string;
  /** Text before the state in the tooltip, e.g. "Most urgent agent: ". */
  prefix?: string;
}

/** A small pill with a Claude agent's state; the tooltip tells why and since when. */
export function AgentBadge({ agent, testId, prefix = 'Agent: ' }: AgentBadgeProps) {
  const title = [
    `${prefix}${agentLabel(agent.state)}`,
    agent.reason ? agent.reason : null,
    `since ${formatDateTime(agent.since)} (${formatRelative(agent.since)})`,
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <span className={`agent-badge agent-${agent.state}`} data-testid={testId} data-state={agent.state} title={title}>
      {agentLabel(agent.state)}
    </span>
  );
}
