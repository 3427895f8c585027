import { ApiError, apiErrorFrom } from './errors';

type UnauthorizedListener = () => void;
type ErrorListener = (error: ApiError) => void;

const unauthorizedListeners = new Set<UnauthorizedListener>();
const errorListeners = new Set<ErrorListener>();

/** Called whenever any request gets 401: the UI swaps to the access-token page. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => {
    unauthorizedListeners.delete(listener);
  };
}

/** Called for every failed request that the caller did not mark `quiet` (toasts). */
export function onApiError(listener: ErrorListener): () => void {
  errorListeners.add(listener);
  return () => {
    errorListeners.delete(listener);
  };
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Do not report failures to the global error listeners (the caller handles them). */
  quiet?: boolean;
  /** Parse the answer as text instead of JSON. */
  text?: boolean;
  signal?: AbortSignal;
}

/**
 * Same-origin request to the AnyCode server. Auth travels in the `anycode_token` cookie, so no
 * token is ever handled by script. Resolves to the parsed body (`undefined` for 204).
 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, quiet = false, text = false, signal } = options;
  const headers: Record<string, string> = { Accept: text ? '*/*' : 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (cause) {
    if (signal?.aborted) throw cause;
    const error = new ApiError(0, 'network', `Cannot reach the server (${String(cause)})`);
    if (!quiet) errorListeners.forEach((l) => l(error));
    throw error;
  }

  if (!response.ok) {
    const raw = await response.text().catch(() => '');
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // not JSON: keep the text
    }
    const error = apiErrorFrom(response.status, parsed, raw.slice(0, 200));
    if (response.status === 401) unauthorizedListeners.forEach((l) => l());
    else if (!quiet) errorListeners.forEach((l) => l(error));
    throw error;
  }

  if (response.status === 204) return undefined as T;
  if (text) return (await response.text()) as T;
  try {
    return (await response.json()) as T;
  } catch {
    const error = new ApiError(response.status, 'bad_response', `Invalid JSON from ${path}`);
    if (!quiet) errorListeners.forEach((l) => l(error));
    throw error;
  }
}
