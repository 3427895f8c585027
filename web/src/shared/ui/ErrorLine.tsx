import { ApiError } from '../api/errors';

/** What a failed request shows inline: the server's code and message. */
export interface ShownError {
  code: string;
  message: string;
}

export function shownError(error: unknown): ShownError {
  return error instanceof ApiError ? { code: error.code, message: error.message } : { code: 'error', message: String(error) };
}

/** An inline error (`role=alert`) with the error code as a badge. */
export function ErrorLine({ error, testId }: { error: ShownError | null; testId: string }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert" data-testid={testId} data-code={error.code}>
      <span className="toast-code">{error.code}</span> {error.message}
    </p>
  );
}
