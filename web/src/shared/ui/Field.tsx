import type { ReactNode } from 'react';

/** A labelled form control with its error (or hint) below (`.field`, `.field.invalid`). */
export function Field({ label, error, hint, children }: { label: string; error?: string | null; hint?: ReactNode; children: ReactNode }) {
  return (
    <label className={error ? 'field invalid' : 'field'}>
      <span className="field-label">{label}</span>
      {children}
      {error ? <span className="field-error">{error}</span> : hint ? <span className="field-hint">{hint}</span> : null}
    </label>
  );
}
