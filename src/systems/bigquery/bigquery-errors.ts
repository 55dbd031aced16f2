import { AuthError, FatalError, InvalidInputError, type KithError, NotFoundError, RateLimitedError, TemporaryError, isKithError } from '../../errors.js';

/** What the error table needs from a failed BigQuery call. */
export interface BigQueryFailure {
  /** HTTP status; undefined for network failures. */
  status?: number;
  /** `errors[0].reason` from the error body (notFound, rateLimitExceeded, backendError, …). */
  reason?: string;
  message: string;
  /** Node's system error code for network failures (ECONNREFUSED, ETIMEDOUT, …). */
  networkCode?: string;
}

const RATE_LIMIT_MS: Record<string, number> = { rateLimitExceeded: 1_000, userRateLimitExceeded: 1_000, quotaExceeded: 60_000 };
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET']);

/**
 * The pure table `status + reason → KithError` (style.md §1–2). Reasons from
 * https://cloud.google.com/bigquery/docs/error-messages.
 */
export function classifyBigQueryError(f: BigQueryFailure): KithError {
  const code = f.status === undefined ? (f.networkCode ?? 'unknown') : `${f.status}:${f.reason ?? ''}`;
  const msg = `BigQuery: ${f.message}`;
  const { status, reason } = f;
  if (status === undefined) {
    return f.networkCode && NETWORK_CODES.has(f.networkCode) ? new TemporaryError(msg, code) : new FatalError(msg, code);
  }
  if (reason && reason in RATE_LIMIT_MS && (status === 403 || status === 429)) return new RateLimitedError(msg, RATE_LIMIT_MS[reason]!, code);
  if (status === 429) return new RateLimitedError(msg, 1_000, code);
  if (status === 401) return new AuthError(msg, code);
  if (status === 403) return reason === 'accessDenied' || reason === 'forbidden' || reason === undefined ? new AuthError(msg, code) : new FatalError(msg, code);
  if (status === 404) return new NotFoundError(msg, code);
  if (status === 400 && reason === 'invalid') return new InvalidInputError(msg, code);
  if (status === 400) return new FatalError(msg, code); // invalidQuery: our SQL or parameters are wrong
  if (status === 408 || reason === 'backendError' || reason === 'internalError' || reason === 'timeout' || reason === 'stopped') return new TemporaryError(msg, code);
  if (status >= 500) return new TemporaryError(msg, code);
  return new FatalError(msg, code);
}

interface ApiErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: { reason?: string; message?: string }[];
}

/** Any error thrown by the SDK (ApiError, network error) → a typed KithError. */
export function toKithError(err: unknown, context: string): KithError {
  if (isKithError(err)) return err;
  const e = (err ?? {}) as ApiErrorLike;
  const message = `${context}: ${typeof e.message === 'string' ? e.message : String(err)}`;
  if (typeof e.code === 'number') return classifyBigQueryError({ status: e.code, reason: e.errors?.[0]?.reason, message });
  return classifyBigQueryError({ networkCode: typeof e.code === 'string' ? e.code : undefined, message });
}

export interface InsertError {
  index: number;
  errors: { reason?: string; location?: string; message?: string }[];
}

/**
 * insertAll's per-row errors → one error naming the first bad row, its contact and field.
 * Rows marked 'stopped' were only held back because of another row and are skipped here.
 */
export function insertErrorsToKithError(insertErrors: readonly InsertError[], rowIds: readonly string[]): KithError {
  const bad = insertErrors.find((ie) => ie.errors.some((e) => e.reason !== 'stopped')) ?? insertErrors[0];
  if (!bad) return new FatalError('BigQuery insertAll failed without row errors');
  const first = bad.errors.find((e) => e.reason !== 'stopped') ?? bad.errors[0];
  const field = first?.location ? ` field '${first.location}'` : '';
  const message = `BigQuery insertAll rejected row ${bad.index} (contact ${rowIds[bad.index] ?? '?'})${field}: ${first?.message || first?.reason || 'unknown error'}`;
  const code = `insertAll:${first?.reason ?? ''}`;
  if (first?.reason === 'invalid') return new InvalidInputError(message, code);
  if (first?.reason === 'backendError' || first?.reason === 'timeout' || first?.reason === 'internalError') return new TemporaryError(message, code);
  return new FatalError(message, code);
}
