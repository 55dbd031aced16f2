import { describe, expect, it } from 'vitest';
import { AuthError, FatalError, InvalidInputError, NotFoundError, RateLimitedError, TemporaryError } from '../../../../src/errors.js';
import { parseRetryAfter, TWENTY_DUPLICATE, twentyHttpError, twentyNetworkError } from '../../../../src/systems/twenty/twenty-errors.js';

describe('Twenty error table', () => {
  it('maps status + reason to typed errors', () => {
    const e429 = twentyHttpError(429, { statusCode: 429, messages: ['Limit reached'] }, 'list', { retryAfter: '7' });
    expect(e429).toBeInstanceOf(RateLimitedError);
    expect((e429 as RateLimitedError).retryAfterMs).toBe(7000);
    expect((twentyHttpError(429, {}, 'list', { defaultRetryAfterMs: 1234 }) as RateLimitedError).retryAfterMs).toBe(1234);
    expect(twentyHttpError(401, { messages: ['Token invalid.'] }, 'list')).toBeInstanceOf(AuthError);
    expect(twentyHttpError(403, {}, 'list')).toBeInstanceOf(AuthError);
    expect(twentyHttpError(404, {}, 'get')).toBeInstanceOf(NotFoundError);
    expect(twentyHttpError(500, {}, 'get')).toBeInstanceOf(TemporaryError);
    expect(twentyHttpError(503, {}, 'get')).toBeInstanceOf(TemporaryError);
    expect(twentyHttpError(400, { messages: ['Invalid UUID'] }, 'create')).toBeInstanceOf(InvalidInputError);
    expect(twentyHttpError(400, { messages: ['Duplicate entry: id exists'] }, 'create').code).toBe(TWENTY_DUPLICATE);
    expect(twentyHttpError(418, {}, 'x')).toBeInstanceOf(FatalError);
  });

  it('carries the server message and the operation', () => {
    expect(twentyHttpError(400, { statusCode: 400, messages: ['Object person has no "foo" field'] }, 'create person').message).toBe(
      'Twenty create person: HTTP 400: Object person has no "foo" field',
    );
    expect(twentyHttpError(400, { message: 'older shape' }, 'x').message).toContain('older shape');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('treats network failures as temporary', () => {
    const e = twentyNetworkError(Object.assign(new Error('socket hang up'), { code: 'UND_ERR_SOCKET' }), 'list');
    expect(e).toBeInstanceOf(TemporaryError);
    expect(e.code).toBe('UND_ERR_SOCKET');
  });
});
