import type { SandboxGitView, SandboxView } from '../../shared/api/types';

/** The project and branch a sandbox works on, or null for a plain sandbox. */
export function sandboxGit(s: SandboxView): SandboxGitView | null {
  return s.git ?? null;
}
