import { randomBytes } from 'node:crypto';
import { TemporaryError } from '../../errors.js';
import type { RedisClient } from '../../redis/connection.js';

/** Releases only the keys still holding this holder's token (an expired lock may belong to someone else now). */
const RELEASE = `local n = 0 for i, k in ipairs(KEYS) do if redis.call('GET', k) == ARGV[1] then n = n + redis.call('DEL', k) end end return n`;
/** All or nothing: sets every key to the token when none of them is held, else sets none. */
const ACQUIRE_ALL = `for i, k in ipairs(KEYS) do if redis.call('EXISTS', k) == 1 then return 0 end end
for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1], 'PX', ARGV[2]) end return 1`;
/** Extends only the keys still holding this holder's token. */
const RENEW = `local n = 0 for i, k in ipairs(KEYS) do if redis.call('GET', k) == ARGV[1] then n = n + redis.call('PEXPIRE', k, ARGV[2]) end end return n`;

/**
 * A lock lives this long unless its holder renews it (every third of it, while the holder
 * works): a killed process's contacts are free again within 3 s, before its job is taken again
 * (the job lock, KITH_JOB_LOCK_MS, is at least 1 s and then a stalled check), however long a
 * live holder needs.
 */
export const CONTACT_LOCK_TTL_MS = 3_000;

export interface LockOptions {
  ttlMs?: number;
  waitMs?: number;
  /** Keep extending the locks while `fn` runs (default); off, they lapse after ttlMs whatever happens. */
  renew?: boolean;
}

const lockKey = (prefix: string, contactId: string) => `${prefix}:hub:lock:${contactId}`;

/**
 * Serialise read-decide-write on one contact's canonical record across every worker process
 * (BigQuery has no row locks; on the local store it saves compare-and-set retries). The lock
 * expires by itself after `ttlMs`, so a killed process cannot hold it for long; waiting longer
 * than `waitMs` is a TemporaryError and the job retries.
 */
export function withContactLock<T>(redis: RedisClient, prefix: string, contactId: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  return withContactLocks(redis, prefix, [contactId], fn, opts);
}

/**
 * The same lock for several contacts at once (a batched push), taken all or nothing in one
 * script: a holder never waits while holding part of a set, so two batches that share contacts
 * cannot deadlock. Keys share the prefix's hash tag, so the script is valid on Redis Cluster.
 * The locks expire after `ttlMs` unless renewed, which the holder does every third of it while
 * `fn` runs: a crashed holder blocks its contacts for at most `ttlMs`.
 */
export async function withContactLocks<T>(redis: RedisClient, prefix: string, contactIds: readonly string[], fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const keys = [...new Set(contactIds)].sort().map((id) => lockKey(prefix, id));
  if (!keys.length) return fn();
  const token = randomBytes(8).toString('hex');
  const ttlMs = opts.ttlMs ?? CONTACT_LOCK_TTL_MS;
  const ttl = String(ttlMs);
  const deadline = Date.now() + (opts.waitMs ?? 10_000);
  // Holders keep a lock for a few milliseconds (one write to one system): poll finely.
  for (let delay = 1; ; delay = Math.min(delay * 2, 8)) {
    const got = keys.length === 1 ? await redis.set(keys[0]!, token, 'PX', ttl, 'NX') : await redis.eval(ACQUIRE_ALL, keys.length, ...keys, token, ttl);
    if (got === 'OK' || got === 1) break;
    if (Date.now() > deadline) {
      const what = keys.length === 1 ? `contact ${contactIds[0]} is` : `some of ${keys.length} contacts are`;
      throw new TemporaryError(`${what} locked by another writer`, 'contact_locked');
    }
    await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
  }
  const renewal = opts.renew === false ? undefined : setInterval(() => void renewLocks(redis, keys, token, ttl).catch(() => undefined), Math.max(1, Math.floor(ttlMs / 3)));
  try {
    return await fn();
  } finally {
    clearInterval(renewal);
    // Not awaited: the caller's work is done and recorded, so its job may complete while the
    // release is on its way. Commands on one connection run in order, so this process's next
    // acquire of these keys queues behind it; another process polls until it lands (or the TTL
    // ends, as after a crash).
    releaseLocks(redis, keys, token).catch(() => undefined);
  }
}

/** RENEW as a script Redis keeps (EVALSHA). */
function renewLocks(redis: RedisClient, keys: readonly string[], token: string, ttl: string): Promise<unknown> {
  const r = redis as RedisClient & { kithRenewLocks?: (n: number, ...args: string[]) => Promise<unknown> };
  if (!r.kithRenewLocks) r.defineCommand('kithRenewLocks', { lua: RENEW });
  return r.kithRenewLocks!(keys.length, ...keys, token, ttl);
}

/** RELEASE as a script Redis keeps (EVALSHA: the script's text is sent once per connection, not per call). */
function releaseLocks(redis: RedisClient, keys: readonly string[], token: string): Promise<unknown> {
  const r = redis as RedisClient & { kithReleaseLocks?: (n: number, ...args: string[]) => Promise<unknown> };
  if (!r.kithReleaseLocks) r.defineCommand('kithReleaseLocks', { lua: RELEASE });
  return r.kithReleaseLocks!(keys.length, ...keys, token);
}
