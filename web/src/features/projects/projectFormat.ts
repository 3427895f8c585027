import type { ChecksView, ProjectTypeView, PullView } from '../../shared/api/types';

/** `a1b2c3d4e5…` → `a1b2c3d`. */
export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '';
}

/** `+12 −3` (a real minus sign, like GitHub). */
export function formatDiffstat(additions: number, deletions: number): string {
  return `+${additions} −${deletions}`;
}

/** "1 file", "3 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export type PullBadge = 'open' | 'draft' | 'merged' | 'closed' | 'conflicts';

/** The badge shown for a pull request: conflicts win over open; drafts are marked. */
export function pullBadge(pr: Pick<PullView, 'state' | 'draft' | 'conflicts' | 'mergeable'>): PullBadge {
  if (pr.state === 'merged') return 'merged';
  if (pr.state === 'closed') return 'closed';
  if (pr.conflicts.length > 0 || pr.mergeable === false) return 'conflicts';
  return pr.draft ? 'draft' : 'open';
}

/** "2/3 checks passed · 1 failed", or null when the forge reported none. */
export function checksSummary(checks: ChecksView | null | undefined): string | null {
  if (!checks || checks.total === 0) return null;
  const parts = [`${checks.passed}/${checks.total} checks passed`];
  if (checks.failed > 0) parts.push(`${checks.failed} failed`);
  if (checks.pending > 0) parts.push(`${checks.pending} pending`);
  return parts.join(' · ');
}

/** An open pull request can be merged from the UI (the server refuses conflicting ones too). */
export function canMerge(pr: Pick<PullView, 'state' | 'conflicts' | 'mergeable'>): boolean {
  return pr.state === 'open' && pr.conflicts.length === 0 && pr.mergeable !== false;
}

/** "Rust, TypeScript · cargo, npm", or null when nothing was detected. */
export function detectedSummary(d: ProjectTypeView | null | undefined): string | null {
  if (!d) return null;
  const langs = d.languages.join(', ');
  const pms = d.packageManagers.join(', ');
  const text = [langs, pms].filter(Boolean).join(' · ');
  return text || null;
}

/** The most relevant pull request of a sandbox: open ones first, then the newest. */
export function sandboxPull(pulls: Iterable<PullView>, sandboxId: string): PullView | null {
  let best: PullView | null = null;
  for (const pr of pulls) {
    if (pr.sandboxId !== sandboxId) continue;
    if (best === null) {
      best = pr;
      continue;
    }
    const open = pr.state === 'open';
    const bestOpen = best.state === 'open';
    if (open !== bestOpen ? open : pr.number > best.number) best = pr;
  }
  return best;
}

/** Commit times arrive as Unix seconds (`"1700000000"`) or RFC 3339; shown in the local format. */
export function formatCommitTime(value: string, locale?: string): string {
  const n = Number(value);
  const date = value.trim() !== '' && Number.isFinite(n) ? new Date(n * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(locale);
}
