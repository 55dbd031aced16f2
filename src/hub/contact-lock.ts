import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TemporaryError } from '../errors.js';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Serialise read-decide-write on one contact's canonical record across every worker process
 * (BigQuery has no row locks; on the local store it saves compare-and-set retries). The lock
 * expires by itself after `ttlMs`, so a killed process cannot hold it for long; waiting longer
 * than `waitMs` is a TemporaryError and the job retries.
 */
export async function withContactLock<T>(redis: Redis, prefix: string, contactId: string, fn: () => Promise<T>, opts: { ttlMs?: number; waitMs?: number } = {}): Promise<T> {
  const key = `${prefix}:hub:lock:${contactId}`;
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + (opts.waitMs ?? 10_000);
  // Holders keep the lock for a few milliseconds (one write to one system): poll finely.
  for (let delay = 1; ; delay = Math.min(delay * 2, 8)) {
    if (await redis.set(key, token, 'PX', opts.ttlMs ?? 30_000, 'NX')) break;
    if (Date.now() > deadline) throw new TemporaryError(`contact ${contactId} is locked by another writer`, 'contact_locked');
    await new Promise((r) => setTimeout(r, delay));
  }
  try {
    return await fn();
  } finally {
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
