import type { CredentialInfo } from '../../shared/api/types';
import { expiryText, kindLabel, sourceLabel } from './credentialFormat';

interface CredentialRowProps {
  credential: CredentialInfo;
  active: boolean;
  onRemove: (id: string) => void;
}

/** One credential, as the server describes it: never more of the secret than its prefix. */
export function CredentialRow({ credential: c, active, onRemove }: CredentialRowProps) {
  return (
    <tr data-testid={`credential-row-${c.id}`} data-source={c.source} data-kind={c.kind} className={active ? 'active' : undefined}>
      <td>
        {kindLabel(c.kind)}
        {c.subscriptionType && <span className="muted"> ({c.subscriptionType})</span>}
        {active && <span className="live-chip on credential-active">in use</span>}
      </td>
      <td>{sourceLabel(c.source)}</td>
      <td>
        <code data-testid="credential-prefix">{c.prefix ?? '–'}</code>
      </td>
      <td className={c.expired ? 'warn' : undefined}>{expiryText(c)}</td>
      <td>
        {c.error && <span className="credential-error">{c.error}</span>}
        {c.warning && <span className="credential-warning">{c.warning}</span>}
      </td>
      <td>
        {c.source === 'stored' && (
          <button className="small-button danger" data-testid={`credential-remove-${c.id}`} onClick={() => onRemove(c.id)}>
            Remove
          </button>
        )}
      </td>
    </tr>
  );
}
