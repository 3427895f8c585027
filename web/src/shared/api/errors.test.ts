import { describe, expect, it } from 'vitest';
import { apiErrorFrom } from './errors';

describe('apiErrorFrom', () => {
  it('reads the standard error envelope', () => {
    const err = apiErrorFrom(
      400,
      { error: { code: 'invalid_size', message: 'cols out of range', details: { cols: 0 }, requestId: 'r1' } },
      '',
    );
    expect(err.code).toBe('invalid_size');
    expect(err.message).toBe('cols out of range');
    expect(err.details).toEqual({ cols: 0 });
    expect(err.requestId).toBe('r1');
    expect(err.status).toBe(400);
  });

  it('falls back to the HTTP status for other bodies', () => {
    expect(apiErrorFrom(502, 'Bad Gateway', 'Bad Gateway').code).toBe('http_502');
    expect(apiErrorFrom(401, null, '').code).toBe('unauthorized');
  });
});
