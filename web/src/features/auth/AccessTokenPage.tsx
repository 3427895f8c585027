import { useState } from 'react';

/** Shown when the server answers 401: the page was opened without (or with a stale) token. */
export function AccessTokenPage() {
  const [token, setToken] = useState('');
  return (
    <main className="auth-page" data-testid="auth-required">
      <form
        className="auth-card"
        onSubmit={(e) => {
          e.preventDefault();
          const value = token.trim();
          if (!value) return;
          // The server sets an HttpOnly cookie and redirects to the URL without the token.
          window.location.href = `${window.location.pathname}?token=${encodeURIComponent(value)}`;
        }}
      >
        <div className="logo">
          <span className="logo-mark" aria-hidden>
            ❯_
          </span>
          AnyCode
        </div>
        <h1>Access token required</h1>
        <p>
          Open the URL printed by <code>anycode serve</code>, or paste its token here.
        </p>
        <input
          type="password"
          autoFocus
          autoComplete="off"
          spellCheck={false}
          placeholder="Access token"
          aria-label="Access token"
          data-testid="token-input"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <button type="submit" className="primary-button" disabled={!token.trim()}>
          Continue
        </button>
      </form>
    </main>
  );
}
