/**
 * Typed errors that say whether and when to retry (style.md §2). Every adapter maps its
 * provider's status + reason to one of these through a pure error table; the worker host maps
 * them to BullMQ: fatal kinds → UnrecoverableError (no retry), rate-limited → queue rate limit
 * for `retryAfterMs` (no attempt consumed), temporary → retry with exponential backoff + jitter.
 * `name` is set explicitly so it survives serialisation into a failed job's stacktrace.
 */
export type ErrorKind = 'temporary' | 'rate_limited' | 'auth' | 'not_found' | 'cursor_invalid' | 'invalid_input' | 'fatal';

export abstract class KithError extends Error {
  abstract readonly kind: ErrorKind;
  /** Whether running the same job again can succeed. */
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class TemporaryError extends KithError {
  override name = 'TemporaryError';
  readonly kind = 'temporary' as const;
  readonly retryable = true;
}

export class RateLimitedError extends KithError {
  override name = 'RateLimitedError';
  readonly kind = 'rate_limited' as const;
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterMs: number,
    code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, code, options);
  }
}

export class AuthError extends KithError {
  override name = 'AuthError';
  readonly kind = 'auth' as const;
  readonly retryable = false;
}

export class NotFoundError extends KithError {
  override name = 'NotFoundError';
  readonly kind = 'not_found' as const;
  readonly retryable = false;
}

/** The provider no longer accepts our cursor: the caller must run a full resync, loudly. */
export class CursorInvalidError extends KithError {
  override name = 'CursorInvalidError';
  readonly kind = 'cursor_invalid' as const;
  readonly retryable = false;
}

/** Input that can never be processed (bad job data, malformed record): names the field. */
export class InvalidInputError extends KithError {
  override name = 'InvalidInputError';
  readonly kind = 'invalid_input' as const;
  readonly retryable = false;
}

export class FatalError extends KithError {
  override name = 'FatalError';
  readonly kind = 'fatal' as const;
  readonly retryable = false;
}

export function isKithError(err: unknown): err is KithError {
  return err instanceof KithError;
}
