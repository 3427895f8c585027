import type { SandboxStatus } from '../../shared/api/types';

/** A colored pill for a sandbox state (colors in styles.css, `.sandbox-status-<state>`). */
export function SandboxStatusBadge({ status }: { status: SandboxStatus }) {
  return (
    <span className={`sandbox-status sandbox-status-${status}`} data-testid="sandbox-status">
      {status}
    </span>
  );
}
