import type { Terminal } from '@xterm/xterm';
import { bufferText, visibleLines } from './screenText';

/**
 * `window.__anycode`, present in dev and prod builds so browser tests (and curious users) can
 * read what a terminal shows: `__anycode.screen(id)` → visible lines, `__anycode.text(id)` → the
 * whole buffer.
 */
export interface AnycodeDebugHandle {
  terminals: Map<string, Terminal>;
  screen(id: string): string[] | null;
  text(id: string): string | null;
}

declare global {
  interface Window {
    __anycode?: AnycodeDebugHandle;
  }
}

function handle(): AnycodeDebugHandle {
  if (!window.__anycode) {
    const terminals = new Map<string, Terminal>();
    window.__anycode = {
      terminals,
      screen: (id) => {
        const term = terminals.get(id);
        return term ? visibleLines(term) : null;
      },
      text: (id) => {
        const term = terminals.get(id);
        return term ? bufferText(term) : null;
      },
    };
  }
  return window.__anycode;
}

export function registerTerminal(id: string, term: Terminal): void {
  handle().terminals.set(id, term);
}

export function unregisterTerminal(id: string, term: Terminal): void {
  const terminals = handle().terminals;
  if (terminals.get(id) === term) terminals.delete(id);
}

/** Create the handle at startup so tests can wait for it. */
export function installDebugHandle(): void {
  handle();
}
