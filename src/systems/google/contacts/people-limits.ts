import type { RedisClient } from '../../../redis/connection.js';
import { RequestLimiter, type Limiter } from '../../limits/request-limiter.js';
import { SharedRequestLimiter } from '../../limits/shared-request-limiter.js';
import type { GoogleCredential } from '../google-auth.js';
import { peopleLimiterKey } from '../google-quota.js';

/** How long one People request may take: a process that dies mid-request frees its slot after this plus a window. */
export const PEOPLE_TIMEOUT_MS = 30_000;

/** Which account's per-user budget a credential spends: the stored account's address, else `me` (one account per deployment). */
export function peopleAccount(credential: GoogleCredential): string {
  return ('account' in credential && (credential.account.kind === 'service_account' ? credential.account.subject : credential.account.email)) || 'me';
}

export interface PeopleBudgets {
  /** With Redis, every process on every host spends one budget (the google-contacts source and the hub together); without (an offline hub), its own. */
  redis?: () => RedisClient;
  prefix: string;
  account: string;
  readsPerMinute: number;
  writesPerMinute: number;
  /** Longest Retry-After a request sleeps out before it throws RateLimitedError. */
  pauseWaitMs?: number;
}

/** The account's People reads and writes a minute, as two limiters. */
export function createPeopleLimiters(o: PeopleBudgets): { reads: Limiter; writes: Limiter } {
  const one = (budget: 'reads' | 'writes', limit: number): Limiter =>
    o.redis
      ? new SharedRequestLimiter({ limit, windowMs: 60_000, service: `Google People ${budget}`, redis: o.redis, key: peopleLimiterKey(o.prefix, o.account, budget), requestTimeoutMs: PEOPLE_TIMEOUT_MS, pollMs: 50, ...(o.pauseWaitMs !== undefined ? { pauseWaitMs: o.pauseWaitMs } : {}) })
      : new RequestLimiter({ limit, windowMs: 60_000, service: `Google People ${budget}` }, o.pauseWaitMs !== undefined ? { pauseWaitMs: o.pauseWaitMs } : {});
  return { reads: one('reads', o.readsPerMinute), writes: one('writes', o.writesPerMinute) };
}
