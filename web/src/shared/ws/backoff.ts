/** Exponential reconnect delays with jitter: 0.5 s, 1 s, 2 s, … capped at 10 s. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Relative spread: 0.2 means ±20 % around the exponential value. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, factor: 2, jitter: 0.2 };

/**
 * Delay before reconnect attempt number `attempt` (0 for the first retry after a drop).
 * `random` returns a value in [0, 1); it is injectable so tests are deterministic.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(attempt, 30));
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** exponent);
  const spread = base * options.jitter * (2 * random() - 1);
  return Math.round(Math.min(options.maxMs, Math.max(0, base + spread)));
}
