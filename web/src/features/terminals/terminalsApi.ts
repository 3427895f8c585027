import { request } from '../../shared/api/client';
import type { CreateTerminalRequest, RenameTerminalRequest, TerminalView } from '../../shared/api/types';

const base = '/api/terminals';
const item = (id: string) => `${base}/${encodeURIComponent(id)}`;

export const terminalsApi = {
  list: (signal?: AbortSignal) => request<TerminalView[]>(base, { signal }),
  get: (id: string, quiet = false) => request<TerminalView>(item(id), { quiet }),
  create: (body: CreateTerminalRequest) => request<TerminalView>(base, { method: 'POST', body }),
  rename: (id: string, name: string) =>
    request<TerminalView>(item(id), { method: 'PATCH', body: { name } satisfies RenameTerminalRequest }),
  remove: (id: string) => request<void>(item(id), { method: 'DELETE' }),
  /** asciicast v2 text of the terminal's recording. */
  recording: (id: string) => request<string>(`${item(id)}/recording`, { text: true }),
};

/** The label of a tab: its name, else the program, else a short id. */
export function terminalLabel(view: TerminalView): string {
  if (view.name) return view.name;
  const program = view.command[0];
  if (program) return program.split('/').pop() ?? program;
  return view.id.slice(0, 8);
}
