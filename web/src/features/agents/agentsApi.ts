import { request } from '../../shared/api/client';
import type { AgentEntry } from '../../shared/api/types';

export const agentsApi = {
  list: () => request<AgentEntry[]>('/api/agents'),
};
