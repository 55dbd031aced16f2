import {
  AuthError,
  FatalError,
  InvalidInputError,
  type KithError,
  NotFoundError,
  RateLimitedError,
  TemporaryError,
} from '../../errors.js';

/**
 * Error table for Twenty's REST API: HTTP status + reason → a typed Kith error. Twenty answers
 * errors as `{statusCode, error, messages: [...]}` (older versions: `{statusCode, message}`).
 */
export const TWENTY_DUPLICATE = 'twenty_duplicate';

export function twentyErrorMessage(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { messages?: unknown; message?: unknown; error?: unknown };
    if (Array.isArray(b.messages) && b.messages.length) return b.messages.map(String).join('; ');
    if (typeof b.message === 'string') return b.message;
    if (typeof b.error === 'string') return b.error;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
  return 'no error message';
}

/** Retry-After as seconds or an HTTP date → milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export function twentyHttpError(
  status: number,
  body: unknown,
  context: string,
  opts: { retryAfter?: string | string[]; defaultRetryAfterMs?: number } = {},
): KithError {
  const reason = twentyErrorMessage(body);
  const msg = `Twenty ${context}: HTTP ${status}: ${reason}`;
  if (status === 429) {
    return new RateLimitedError(msg, parseRetryAfter(opts.retryAfter) ?? opts.defaultRetryAfterMs ?? 60_000, 'twenty_rate_limited');
  }
  if (status === 401 || status === 403) return new AuthError(msg, `twenty_${status}`);
  if (status === 404) return new NotFoundError(msg, 'twenty_not_found');
  if (status === 408 || status >= 500) return new TemporaryError(msg, `twenty_${status}`);
  if (status === 409 || /duplicate|already exists|unique constraint/i.test(reason)) return new InvalidInputError(msg, TWENTY_DUPLICATE);
  if (status === 400 || status === 422) return new InvalidInputError(msg, `twenty_${status}`);
  return new FatalError(msg, `twenty_${status}`);
}

const TRANSIENT_NETWORK = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR_(SOCKET|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT|CLOSED)/;

/** A request that never got an HTTP answer: the network and timeouts are worth retrying. */
export function twentyNetworkError(err: unknown, context: string): KithError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const msg = `Twenty ${context}: ${e?.message ?? String(err)}${code ? ` (${code})` : ''}`;
  if (TRANSIENT_NETWORK.test(code)) return new TemporaryError(msg, code, { cause: err });
  return new TemporaryError(msg, 'twenty_network', { cause: err });
}
