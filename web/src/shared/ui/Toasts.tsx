import { useStore } from '../store';
import { dismissToast, toastStore } from './toasts';

export function Toasts() {
  const toasts = useStore(toastStore);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast" data-code={t.code}>
          {t.code && <span className="toast-code">{t.code}</span>}
          <span className="toast-message">{t.message}</span>
          {t.requestId && <span className="toast-request" title="request id">{t.requestId}</span>}
          <button className="icon-button" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
