import { AuthError, CursorInvalidError, FatalError, NotFoundError, RateLimitedError, TemporaryError, type KithError } from '../../errors.js';

/** The read-only scope each Google API needs, named in the message of a missing-scope answer. */
export const GOOGLE_SCOPES = {
  gmail: 'https://www.googleapis.com/auth/gmail.readonly',
  calendar: 'https://www.googleapis.com/auth/calendar.readonly',
  contacts: 'https://www.googleapis.com/auth/contacts',
  drive: 'https://www.googleapis.com/auth/drive.readonly',
} as const;

export type GoogleApi = keyof typeof GOOGLE_SCOPES;

/** What one failed answer means for the caller: wait and send again, retry (an attempt), or stop. */
export type GoogleFailure =
  | { kind: 'rate_limited'; retryAfterMs?: number; reason: string }
  | { kind: 'server'; status: number; reason: string }
  | { kind: 'error'; error: KithError };

/** The parts of an answer the table reads (a GaxiosError's response, or a network error's absence of one). */
export interface GoogleAnswer {
  status?: number;
  /** `{error:{code, message, status, errors:[{reason}], details:[{reason}]}}` */
  body?: unknown;
  retryAfter?: string | null;
  /** A network error's code (ECONNRESET, …) when no answer arrived. */
  networkCode?: string;
}

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED', 'quotaExceeded']);

/** The first `reason` of a Google error body (`errors[].reason`, else `details[].reason`, else `status`). */
export function googleReason(body: unknown): string {
  const e = (body as { error?: { errors?: { reason?: string }[]; details?: { reason?: string }[]; status?: string; message?: string } } | undefined)?.error;
  return e?.errors?.find((x) => x.reason)?.reason ?? e?.details?.find((x) => x.reason)?.reason ?? e?.status ?? '';
}

function googleMessage(body: unknown): string {
  const m = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof m === 'string' ? m.slice(0, 300) : '';
}

/** Retry-After: seconds, or an HTTP date; absent or unreadable → undefined (back off with jitter). */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const AUTH_TODO = 'run `kith auth google` (or set GOOGLE_ACCESS_TOKEN to a valid token)';

/**
 * Google's error table: 429 and 403 rateLimitExceeded/userRateLimitExceeded are waited out (the
 * Retry-After, else a jittered back-off) without spending an attempt; 5xx and network errors are
 * retried; 401 and a missing scope stop the source with what to do; 404 is not found (or, for a
 * cursor, an expired one: the caller decides).
 */
export function classifyGoogleError(api: GoogleApi, what: string, a: GoogleAnswer): GoogleFailure {
  const reason = googleReason(a.body);
  const detail = googleMessage(a.body);
  if (a.status === undefined) return { kind: 'server', status: 0, reason: a.networkCode ?? 'network error' };
  if (a.status === 429 || (a.status === 403 && RATE_REASONS.has(reason))) {
    const after = retryAfterMs(a.retryAfter);
    return { kind: 'rate_limited', reason: reason || 'rateLimitExceeded', ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  if (a.status >= 500) return { kind: 'server', status: a.status, reason: reason || `HTTP ${a.status}` };
  if (a.status === 401) return { kind: 'error', error: new AuthError(`Google ${what}: the token was refused (401${detail ? `: ${detail}` : ''}); ${AUTH_TODO}`, 'google_unauthorized') };
  if (a.status === 403 && (reason === 'insufficientPermissions' || reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' || reason === 'PERMISSION_DENIED')) {
    return { kind: 'error', error: new AuthError(`Google ${what}: the account has not granted the scope ${GOOGLE_SCOPES[api]} (403 ${reason}); ${AUTH_TODO}`, 'google_insufficient_scope') };
  }
  if (a.status === 404) return { kind: 'error', error: new NotFoundError(`Google ${what}: not found (404${detail ? `: ${detail}` : ''})`, 'google_not_found') };
  return { kind: 'error', error: new FatalError(`Google ${what}: HTTP ${a.status} ${reason}${detail ? `: ${detail}` : ''}`, 'google_error') };
}

/** A refresh that fails (revoked or expired grant) is an AuthError saying what to do. */
export function refreshFailed(what: string, err: unknown): AuthError {
  const m = (err as Error).message ?? String(err);
  const testing = /invalid_grant/.test(m) ? ' (an OAuth app in "testing" status gets refresh tokens that expire after 7 days)' : '';
  return new AuthError(`Google ${what}: the stored account's token no longer works (${m.slice(0, 200)})${testing}; ${AUTH_TODO}`, 'google_refresh_failed', { cause: err });
}

export { CursorInvalidError, RateLimitedError, TemporaryError };
