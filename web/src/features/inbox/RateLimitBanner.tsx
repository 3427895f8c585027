import { sandboxName, useSandboxes } from '../sandboxes/sandboxStore';
import { formatRelative } from '../../shared/time';
import { type RateLimit, dismissRateLimit } from './inboxStore';

/** The model rate-limited a sandbox's agent: one banner per sandbox until dismissed. */
export function RateLimitBanner({ limits, now }: { limits: RateLimit[]; now: number }) {
  const { list } = useSandboxes();
  if (limits.length === 0) return null;
  return (
    <div className="inbox-banners">
      {limits.map((r) => (
        <div key={r.sandboxId} className="inbox-banner" role="alert" data-testid={`rate-limit-${r.sandboxId}`}>
          <span>
            Sandbox <strong>{sandboxName(list, r.sandboxId) ?? r.sandboxId.slice(0, 8)}</strong> was rate-limited by the model (
            {r.status}){r.retryAfterSecs !== null ? `, retry after ${r.retryAfterSecs} s` : ''} ·{' '}
            {formatRelative(new Date(r.at).toISOString(), now)}
          </span>
          <button className="icon-button" aria-label="Dismiss" onClick={() => dismissRateLimit(r.sandboxId)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
