import { describe, expect, it } from 'vitest';
import { AuthError, FatalError, InvalidInputError, NotFoundError, RateLimitedError, TemporaryError } from '../../../../src/errors.js';
import { classifyBigQueryError, insertErrorsToKithError, toKithError } from '../../../../src/systems/bigquery/bigquery-errors.js';

describe('BigQuery error table (status + reason → KithError)', () => {
  const cases: [number | undefined, string | undefined, string | undefined, new (...a: never[]) => Error, number?][] = [
    [404, 'notFound', undefined, NotFoundError],
    [403, 'rateLimitExceeded', undefined, RateLimitedError, 1_000],
    [403, 'quotaExceeded', undefined, RateLimitedError, 60_000],
    [429, 'rateLimitExceeded', undefined, RateLimitedError, 1_000],
    [429, undefined, undefined, RateLimitedError, 1_000],
    [500, 'backendError', undefined, TemporaryError],
    [503, 'backendError', undefined, TemporaryError],
    [502, undefined, undefined, TemporaryError],
    [400, 'stopped', undefined, FatalError],
    [408, 'timeout', undefined, TemporaryError],
    [401, 'authError', undefined, AuthError],
    [403, 'accessDenied', undefined, AuthError],
    [403, 'billingNotEnabled', undefined, FatalError],
    [400, 'invalidQuery', undefined, FatalError],
    [400, 'invalid', undefined, InvalidInputError],
    [409, 'duplicate', undefined, FatalError],
    [undefined, undefined, 'ECONNREFUSED', TemporaryError],
    [undefined, undefined, 'ECONNRESET', TemporaryError],
    [undefined, undefined, 'ERR_SOMETHING', FatalError],
  ];
  it.each(cases)('%s %s %s → %o', (status, reason, networkCode, kind, retryAfter) => {
    const err = classifyBigQueryError({ status, reason, networkCode, message: 'boom' });
    expect(err).toBeInstanceOf(kind);
    expect(err.message).toBe('BigQuery: boom');
    if (retryAfter !== undefined) expect((err as RateLimitedError).retryAfterMs).toBe(retryAfter);
    expect(err.code).toBe(status === undefined ? networkCode : `${status}:${reason ?? ''}`);
  });

  it('reads status and reason off an SDK ApiError and a network error', () => {
    const api = Object.assign(new Error('Exceeded rate limits'), { code: 403, errors: [{ reason: 'rateLimitExceeded', message: 'Exceeded rate limits' }] });
    const mapped = toKithError(api, 'listing');
    expect(mapped).toBeInstanceOf(RateLimitedError);
    expect(mapped.message).toBe('BigQuery: listing: Exceeded rate limits');
    expect(toKithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'x')).toBeInstanceOf(TemporaryError);
    const already = new NotFoundError('x');
    expect(toKithError(already, 'y')).toBe(already);
  });

  it('insertErrors name the row index, contact and field, skipping rows that were only stopped', () => {
    const err = insertErrorsToKithError(
      [
        { index: 0, errors: [{ reason: 'stopped', location: '', message: '' }] },
        { index: 2, errors: [{ reason: 'invalid', location: 'version', message: 'Cannot convert value to integer.' }] },
      ],
      ['a', 'b', 'c'],
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe("BigQuery insertAll rejected row 2 (contact c) field 'version': Cannot convert value to integer.");
    expect(insertErrorsToKithError([{ index: 0, errors: [{ reason: 'backendError' }] }], ['a'])).toBeInstanceOf(TemporaryError);
  });
});
