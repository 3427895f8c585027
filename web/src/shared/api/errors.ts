import type { ErrorBody } from './types';

/** An API failure with the server's stable error code (or a client-side one: `network`, `bad_response`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly requestId: string | null;

  constructor(status: number, code: string, message: string, details?: unknown, requestId?: string | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId ?? null;
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = value.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** Builds an ApiError from a non-2xx response body (parsed JSON or raw text). */
export function apiErrorFrom(status: number, body: unknown, fallbackText: string): ApiError {
  if (isErrorBody(body)) {
    const { code, message, details, requestId } = body.error;
    return new ApiError(status, code, message, details, requestId);
  }
  const code = status === 401 ? 'unauthorized' : `http_${status}`;
  return new ApiError(status, code, fallbackText || `HTTP ${status}`);
}
