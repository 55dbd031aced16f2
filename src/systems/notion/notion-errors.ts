import { AuthError, FatalError, InvalidInputError, type KithError, NotFoundError, RateLimitedError, TemporaryError } from '../../errors.js';

/**
 * Error table for Notion's API: `{object: 'error', status, code, message}` → a typed Kith error.
 * 429 `rate_limited` and 529 `service_overload` carry Retry-After (seconds); the others by code.
 * A `validation_error` is about the record sent (a value of the wrong type, an unknown option):
 * its code `notion_validation` tells the caller to log the record and go on.
 */
export const NOTION_VALIDATION = 'notion_validation';

/** Retry-After when Notion sends none on a 429 or 529. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

export interface NotionErrorBody {
  object?: string;
  status?: number;
  code?: string;
  message?: string;
}

/** Retry-After as seconds or an HTTP date → milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export function notionHttpError(status: number, body: NotionErrorBody | undefined, context: string, retryAfter?: string | null): KithError {
  const code = body?.code ?? `http_${status}`;
  const msg = `Notion ${context}: HTTP ${status} ${code}: ${body?.message ?? 'no error message'}`;
  if (status === 429 || status === 529 || code === 'rate_limited' || code === 'service_overload') {
    return new RateLimitedError(msg, parseRetryAfter(retryAfter) ?? DEFAULT_RETRY_AFTER_MS, `notion_${code}`);
  }
  if (status === 401 || code === 'unauthorized') return new AuthError(msg, 'notion_unauthorized');
  if (status === 403 || code === 'restricted_resource') return new AuthError(msg, 'notion_restricted_resource');
  if (status === 404 || code === 'object_not_found') return new NotFoundError(msg, 'notion_object_not_found');
  // A conflict is a transaction that lost a race inside Notion: sending the same write again succeeds.
  if (status === 409 || code === 'conflict_error') return new TemporaryError(msg, 'notion_conflict_error');
  if (status === 408 || status >= 500) return new TemporaryError(msg, `notion_${code}`);
  if (code === 'validation_error') return new InvalidInputError(msg, NOTION_VALIDATION);
  // invalid_json, invalid_request_url, invalid_request, missing_version: a mistake in Kith's request, not in the record.
  return new FatalError(msg, `notion_${code}`);
}

const TRANSIENT_NETWORK = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR_/;

/** A request that never got an HTTP answer (network, timeout): worth retrying. */
export function notionNetworkError(err: unknown, context: string): KithError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.cause?.code ?? e?.code ?? '';
  const kind = TRANSIENT_NETWORK.test(code) ? code : 'notion_network';
  return new TemporaryError(`Notion ${context}: ${e?.message ?? String(err)}${code ? ` (${code})` : ''}`, kind, { cause: err });
}

/** Whether an error is about one record (log it and skip the record) rather than the run. */
export function isRecordError(err: unknown): boolean {
  return err instanceof InvalidInputError;
}
