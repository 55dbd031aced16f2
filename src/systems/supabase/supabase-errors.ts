import { AuthError, FatalError, InvalidInputError, type KithError, NotFoundError, RateLimitedError, TemporaryError } from '../../errors.js';

/**
 * Error table for PostgREST (as seen through supabase-js): HTTP status + PostgreSQL/PostgREST
 * code → a typed Kith error. supabase-js reports a network failure as status 0 with code ''.
 * A 429 or 503 whose response said when to come back (Retry-After) is rate-limited for that long.
 */
export interface PostgrestErrorLike {
  code?: string | null;
  message?: string | null;
  details?: string | null;
  hint?: string | null;
  /** The response's Retry-After in milliseconds, when a 429 or 503 carried one (supabase-fetch.ts puts it here). */
  retry_after_ms?: number | null;
}

/** A server's Retry-After is followed within these bounds: never a tight loop, never a stall of hours. */
export const RETRY_AFTER_MIN_MS = 1_000;
export const RETRY_AFTER_MAX_MS = 600_000;

/** The column a constraint or type error is about, when PostgreSQL names one. */
export function offendingColumn(e: PostgrestErrorLike): string | undefined {
  const text = `${e.message ?? ''} ${e.details ?? ''}`;
  return (
    /column "([^"]+)"/.exec(text)?.[1] ??
    /column [\w]+\.(\w+) does not exist/.exec(text)?.[1] ??
    /constraint "(?:\w+?_)?(\w+?)_check"/.exec(text)?.[1] ??
    /Key \((\w+)\)=/.exec(text)?.[1] ??
    /'(\w+)' column/.exec(text)?.[1]
  );
}

export function supabaseError(e: PostgrestErrorLike, status: number, context: string, defaultRetryAfterMs = 5_000): KithError {
  const code = e.code ?? '';
  const column = offendingColumn(e);
  const where = column ? ` (column ${column})` : '';
  const msg = `Supabase ${context}: ${status ? `HTTP ${status}` : 'no response'}${code ? ` ${code}` : ''}: ${e.message ?? 'unknown error'}${where}${e.hint ? `; hint: ${e.hint}` : ''}`;
  const tag = `supabase_${code || status}`;
  if (status === 0) return new TemporaryError(msg, 'supabase_network');
  const asked = typeof e.retry_after_ms === 'number' && Number.isFinite(e.retry_after_ms) ? e.retry_after_ms : undefined;
  if ((status === 429 || status === 503) && asked !== undefined) {
    const wait = Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, asked));
    return new RateLimitedError(`${msg} (retry after ${Math.ceil(wait / 1000)} s)`, wait, tag);
  }
  if (status === 429) return new RateLimitedError(msg, defaultRetryAfterMs, tag);
  if (status === 401 || status === 403 || code === '42501' || code.startsWith('PGRST3') || code.startsWith('28')) return new AuthError(msg, tag);
  if (status >= 500 || /^(08|53|57|40)/.test(code)) return new TemporaryError(msg, tag);
  // A missing table or column is a deployment problem (contacts.sql not applied), never fixed by retrying.
  if (code === '42P01' || code === 'PGRST205' || code === '42703' || code === 'PGRST204') return new FatalError(msg, tag);
  if (code === 'PGRST116') return new NotFoundError(msg, tag);
  if (/^(22|23)/.test(code) || status === 400 || status === 409 || status === 422) return new InvalidInputError(msg, tag);
  return new FatalError(msg, tag);
}
