import { useEffect } from 'react';
import { useAgents } from '../agents/agentStore';
import { inboxApi } from './inboxApi';
import { scheduleInboxRefresh } from './inboxStore';

/**
 * A finished turn shown on screen counts as seen. The server marks it when a terminal socket
 * connects, but panes stay connected in the background, so looking at a tab must say so itself.
 */
export function useMarkSeen(visibleTerminalId: string | null): void {
  const agents = useAgents();
  const finished = visibleTerminalId !== null && agents.get(visibleTerminalId)?.agent.turnFinished === true;
  useEffect(() => {
    if (!finished || visibleTerminalId === null || document.visibilityState !== 'visible') return;
    inboxApi.seen(visibleTerminalId).then(scheduleInboxRefresh, () => undefined);
  }, [finished, visibleTerminalId]);
}
