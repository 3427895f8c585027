import type { TerminalView } from '../../shared/api/types';
import type { SetupState } from './projectStore';

/** The terminal AnyCode runs a project's setup in. */
export const SETUP_TERMINAL = 'setup';

/**
 * A sandbox's setup from the terminals list, for when no `setup` event was seen in this page (a
 * reload): its terminal named `setup`, running, or exited with 0 (succeeded) or not (failed).
 */
export function setupFromTerminals(terminals: readonly TerminalView[] | null, sandboxId: string): SetupState | null {
  const t = terminals?.find((x) => x.sandboxId === sandboxId && x.name === SETUP_TERMINAL);
  if (!t) return null;
  if (t.status === 'running') return { terminalId: t.id, state: 'running', exitCode: null };
  const exitCode = t.exitCode ?? null;
  return { terminalId: t.id, state: exitCode === 0 ? 'succeeded' : 'failed', exitCode };
}

/** "Setup running…", "Setup succeeded", "Setup failed (exit 2)". */
export function setupLabel(s: SetupState): string {
  if (s.state === 'running') return 'Setup running…';
  if (s.state === 'succeeded') return 'Setup succeeded';
  return s.exitCode === null ? 'Setup failed' : `Setup failed (exit ${s.exitCode})`;
}
