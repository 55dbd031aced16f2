import { describe, expect, it } from 'vitest';
import { AuthError, FatalError, NotFoundError } from '../../../src/errors.js';
import { classifyGoogleError, retryAfterMs } from '../../../src/systems/google/google-errors.js';
import { jitteredBackoff } from '../../../src/systems/google/google-request.js';

const body = (code: number, reason: string) => ({ error: { code, message: 'm', errors: [{ reason }] } });

describe("Google's error table", () => {
  it('waits out 429 and 403 rate limits (Retry-After when given) without calling them errors', () => {
    expect(classifyGoogleError('gmail', 'x', { status: 429, body: body(429, 'rateLimitExceeded'), retryAfter: '2' })).toEqual({ kind: 'rate_limited', reason: 'rateLimitExceeded', retryAfterMs: 2000 });
    expect(classifyGoogleError('gmail', 'x', { status: 403, body: body(403, 'userRateLimitExceeded') })).toEqual({ kind: 'rate_limited', reason: 'userRateLimitExceeded' });
  });

  it('retries 5xx and network errors', () => {
    expect(classifyGoogleError('gmail', 'x', { status: 503, body: body(503, 'backendError') })).toMatchObject({ kind: 'server', status: 503 });
    expect(classifyGoogleError('gmail', 'x', { networkCode: 'ECONNRESET' })).toMatchObject({ kind: 'server', reason: 'ECONNRESET' });
  });

  it('stops on 401 and a missing scope, naming the scope and `kith auth google`', () => {
    const unauth = classifyGoogleError('gmail', 'users.messages.list', { status: 401, body: body(401, 'authError') });
    expect(unauth.kind === 'error' && unauth.error).toBeInstanceOf(AuthError);
    expect(unauth.kind === 'error' && unauth.error.message).toMatch(/kith auth google/);
    const scope = classifyGoogleError('gmail', 'users.messages.list', { status: 403, body: body(403, 'insufficientPermissions') });
    expect(scope.kind === 'error' && scope.error.message).toMatch(/gmail\.readonly.*kith auth google/);
  });

  it('tells not found and other refusals apart', () => {
    const nf = classifyGoogleError('gmail', 'x', { status: 404, body: body(404, 'notFound') });
    expect(nf.kind === 'error' && nf.error).toBeInstanceOf(NotFoundError);
    const bad = classifyGoogleError('gmail', 'x', { status: 400, body: body(400, 'invalidArgument') });
    expect(bad.kind === 'error' && bad.error).toBeInstanceOf(FatalError);
  });

  it('reads Retry-After as seconds or a date; back-off is jittered and capped', () => {
    expect(retryAfterMs('1.5')).toBe(1500);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(jitteredBackoff(250, 3, () => 1)).toBe(2001);
    expect(jitteredBackoff(250, 30, () => 1)).toBe(30_001);
    expect(jitteredBackoff(250, 3, () => 0)).toBe(1);
  });
});
