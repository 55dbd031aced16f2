import type { Queryable } from '../../db/db.js';
import type { RedisClient } from '../../redis/connection.js';

/** The window the delete valve counts a target's deletions in. */
export const DELETE_WINDOW_MS = 3_600_000;
/** A target is always allowed this many deletions a window, whatever it holds. */
export const DELETE_FLOOR = 10;

// Deletions per target in a sorted set (member: contact id, score: when); the decision and the
// count are one script, so processes share one budget.
const TAKE = `
local k = KEYS[1]
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', k, '-inf', now - tonumber(ARGV[2]))
local budget = tonumber(ARGV[3])
local used = redis.call('ZCARD', k)
local allowed = {}
for i = 4, #ARGV do
  if redis.call('ZSCORE', k, ARGV[i]) then
    table.insert(allowed, ARGV[i])
  elseif used < budget then
    redis.call('ZADD', k, now, ARGV[i])
    used = used + 1
    table.insert(allowed, ARGV[i])
  end
end
redis.call('PEXPIRE', k, ARGV[2])
return allowed
`;

/**
 * The contact hub's delete valve for one target: of the contacts about to be deleted there,
 * those the target's hourly budget (a share of the contacts linked to it, at least
 * DELETE_FLOOR) still allows. A delete storm (every row of Supabase deleted, each by its own
 * webhook) thus trashes a bounded number of Twenty people before a person looks; the rest stay
 * pending in the outbox. A contact counted once is allowed again (a retried job).
 */
export async function allowDeletes(redis: RedisClient, prefix: string, q: Queryable, target: string, contactIds: readonly string[], share: number, now: number): Promise<Set<string>> {
  if (!contactIds.length) return new Set();
  const linked = Number((await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM contact_links WHERE system = ?', [target]))?.n ?? 0);
  const budget = Math.max(DELETE_FLOOR, Math.floor(linked * share));
  const allowed = (await redis.eval(TAKE, 1, `${prefix}:hub:delete-valve:${target}`, now, DELETE_WINDOW_MS, budget, ...contactIds)) as string[];
  return new Set(allowed);
}
