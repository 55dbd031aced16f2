import { AuthError, FatalError, NotFoundError } from '../../errors.js';

/** What one failed Slack call means for the caller: wait and send again, retry (an attempt), or stop. */
export type SlackFailure =
  | { kind: 'rate_limited'; retryAfterMs?: number }
  | { kind: 'server'; status: number; reason: string }
  | { kind: 'invalid_cursor' }
  | { kind: 'error'; error: FatalError | AuthError | NotFoundError };

/** The parts of a failure the table reads: an `{ok:false}` body, an HTTP status, a Retry-After, or a network error. */
export interface SlackAnswer {
  /** `error` of an `{ok:false, error}` body (Slack answers those with HTTP 200). */
  error?: string;
  /** `needed` of a `missing_scope` answer: the scope the token lacks. */
  needed?: string;
  /** HTTP status other than 200 (429, 5xx). */
  status?: number;
  /** Retry-After in seconds (a 429's header). */
  retryAfterS?: number;
  /** A network failure's message, when no answer arrived. */
  network?: string;
}

const AUTH_TODO = 'run `kith auth slack` (or set SLACK_TOKEN to a valid token)';
/** The token is no longer one: revoked, expired, or never was. */
const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'no_permission', 'ekm_access_denied']);
/** The conversation went away or is out of the token's reach: skipped, not fatal. */
const GONE_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'thread_not_found', 'access_denied']);
/** Slack-side trouble answered as `{ok:false}` with HTTP 200: retried like a 5xx. */
const SERVER_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Slack's error table. A 429 (or `ratelimited`) is waited out for its Retry-After without
 * spending an attempt; 5xx, `internal_error` and network errors are retried; a refused token
 * stops the source saying to run `kith auth slack`; `missing_scope` stops it naming the scope in
 * `needed`; a conversation that disappeared is NotFoundError (the reader skips it); an
 * `invalid_cursor` is the caller's to recover from.
 */
export function classifySlackError(what: string, a: SlackAnswer): SlackFailure {
  if (a.status === 429 || a.error === 'ratelimited' || a.error === 'rate_limited') return { kind: 'rate_limited', ...(a.retryAfterS !== undefined ? { retryAfterMs: Math.ceil(a.retryAfterS * 1000) } : {}) };
  if (a.network !== undefined) return { kind: 'server', status: 0, reason: a.network };
  if (a.status !== undefined && a.status >= 500) return { kind: 'server', status: a.status, reason: `HTTP ${a.status}` };
  if (a.error && SERVER_ERRORS.has(a.error)) return { kind: 'server', status: 200, reason: a.error };
  if (a.error === 'invalid_cursor') return { kind: 'invalid_cursor' };
  if (a.error && TOKEN_ERRORS.has(a.error)) return { kind: 'error', error: new AuthError(`Slack ${what}: the token was refused (${a.error}); ${AUTH_TODO}`, 'slack_unauthorized') };
  if (a.error === 'missing_scope') {
    const scope = a.needed ? `the scope ${a.needed}` : 'a scope it needs';
    return { kind: 'error', error: new AuthError(`Slack ${what}: the token lacks ${scope} (missing_scope); add it to the Slack app and ${AUTH_TODO}`, 'slack_missing_scope') };
  }
  if (a.error && GONE_ERRORS.has(a.error)) return { kind: 'error', error: new NotFoundError(`Slack ${what}: ${a.error}`, a.error) };
  return { kind: 'error', error: new FatalError(`Slack ${what}: ${a.error ?? (a.status !== undefined ? `HTTP ${a.status}` : 'failed')}`, 'slack_error') };
}
