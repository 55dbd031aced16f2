import type { RedisClient } from '../../redis/connection.js';
import { SharedRequestLimiter } from '../limits/shared-request-limiter.js';

/** How long one Notion request may take (the client's timeout): a process that dies mid-request frees its slot after this plus a window. */
export const NOTION_TIMEOUT_MS = 30_000;

/** Where the deployment's Notion request budget is kept: one key for every process (the hash tag is the prefix's). */
export const notionLimiterKey = (prefix: string) => `${prefix}:notion:limiter`;

/**
 * Notion's ~3 requests a second per integration, spent by every process of the deployment through
 * Redis. Notion counts requests as they arrive, so a slot frees a second after its send: a query's
 * pages, one after another, keep 3 a second instead of losing a round trip every third.
 */
export function createNotionLimiter(opts: { redis: () => RedisClient; prefix: string; rateLimit: { limit: number; windowMs: number } }): SharedRequestLimiter {
  return new SharedRequestLimiter({
    ...opts.rateLimit,
    service: 'Notion requests',
    redis: opts.redis,
    key: notionLimiterKey(opts.prefix),
    requestTimeoutMs: NOTION_TIMEOUT_MS,
    holdFrom: 'send',
  });
}
