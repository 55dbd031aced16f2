import { CursorInvalidError, FatalError, isKithError } from '../../../errors.js';
import { answerOf } from '../google-request.js';
import { googleReason } from '../google-errors.js';

/** A write whose etag is no longer the contact's (edited in Google since it was read). */
export const STALE_ETAG = 'google_stale_etag';

/**
 * People's own answers on top of Google's error table, which makes every other 400 fatal:
 * 400 with ErrorInfo reason EXPIRED_SYNC_TOKEN (sync tokens live 7 days) is an invalid cursor —
 * the caller reads everything again; 400 FAILED_PRECONDITION on a write is a stale etag (code
 * STALE_ETAG) — the caller reads the contact again, merges and retries.
 */
export function refinePeopleError(err: unknown, what: string): unknown {
  if (!isKithError(err) || err.kind !== 'fatal' || !err.cause) return err;
  const a = answerOf(err.cause);
  if (a.status !== 400) return err;
  const body = a.body as { error?: { status?: string; details?: { reason?: string }[] } } | undefined;
  const reasons = [googleReason(a.body), ...(body?.error?.details ?? []).map((d) => d.reason ?? '')];
  if (reasons.includes('EXPIRED_SYNC_TOKEN')) return new CursorInvalidError(`Google People ${what}: the sync token expired (400 EXPIRED_SYNC_TOKEN)`, 'people_sync_token_expired', { cause: err.cause });
  if (body?.error?.status === 'FAILED_PRECONDITION' || reasons.includes('failedPrecondition')) {
    return new FatalError(`Google People ${what}: the contact changed since it was read (400 FAILED_PRECONDITION: stale etag)`, STALE_ETAG, { cause: err.cause });
  }
  return err;
}

export const isStaleEtag = (err: unknown): boolean => isKithError(err) && err.code === STALE_ETAG;
