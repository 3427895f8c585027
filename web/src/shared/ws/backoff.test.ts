import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelay } from './backoff';

const mid = () => 0.5; // no jitter

describe('backoffDelay', () => {
  it('doubles from 0.5 s and caps at 10 s', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 10, 50].map((a) => backoffDelay(a, DEFAULT_BACKOFF, mid));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  });

  it('spreads by ±20 % and never exceeds the cap', () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(400);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0.999999)).toBe(600);
    expect(backoffDelay(2, DEFAULT_BACKOFF, () => 0)).toBe(1600);
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 0.999999)).toBe(10_000);
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 0)).toBe(8000);
  });

  it('treats negative attempts as the first', () => {
    expect(backoffDelay(-3, DEFAULT_BACKOFF, mid)).toBe(500);
  });
});
