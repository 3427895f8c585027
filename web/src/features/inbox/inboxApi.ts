import { request } from '../../shared/api/client';
import type { InboxItem } from '../../shared/api/types';

export const inboxApi = {
  list: () => request<InboxItem[]>('/api/inbox'),
  /** Marks a finished turn of this terminal as seen (quiet: best effort). */
  seen: (terminalId: string) => request<void>(`/api/terminals/${encodeURIComponent(terminalId)}/seen`, { method: 'POST', quiet: true }),
};
