import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { handleClosed, handleOpened } from '../support/open-handles.js';
import { explainUnreachable, redisAddress } from './redis-errors.js';

/**
 * Where a Redis URL points, as ioredis options: `redis://` and `rediss://` as ioredis reads them,
 * and `unix:///path/to/redis.sock[?db=N]` for a server on this host's Unix socket (the embedded
 * server's default: a round trip costs about a fifth less CPU than over loopback TCP).
 */
export function redisTarget(url: string): string | RedisOptions {
  if (!url.startsWith('unix:')) return url;
  const u = new URL(url);
  const path = decodeURIComponent(u.pathname);
  if (u.host || !path.startsWith('/')) throw new Error(`Redis URL ${url}: a Unix socket URL is unix:///absolute/path/to/redis.sock`);
  const db = u.searchParams.get('db');
  if (db !== null && !/^\d+$/.test(db)) throw new Error(`Redis URL ${url}: db must be a number`);
  return { path, ...(db !== null ? { db: Number(db) } : {}) };
}

/** Whether redisTarget accepts `url` (configuration checks it before anything connects). */
export function readsAsRedisTarget(url: string): boolean {
  try {
    redisTarget(url);
    return true;
  } catch {
    return false;
  }
}

/** An ioredis client for `url` (any form redisTarget reads) with extra options; a command that cannot reach the server fails naming its address. */
export function connectRedis(url: string, options: RedisOptions): Redis {
  const target = redisTarget(url);
  const r = typeof target === 'string' ? new Redis(target, options) : new Redis({ ...options, ...target });
  explainUnreachable(r, redisAddress(target));
  // 'end': closed for good (quit, disconnect, or no retry left); a reconnecting client is still open.
  const h = handleOpened('redis client', options.connectionName ?? '(unnamed)');
  r.once('end', () => handleClosed(h));
  // Disconnected while waiting to reconnect, a client has no socket left to emit 'end': it is closed now.
  const disconnect = r.disconnect.bind(r);
  r.disconnect = (reconnect = false) => {
    const waiting = r.status === 'reconnecting';
    disconnect(reconnect);
    if (waiting && !reconnect) handleClosed(h);
  };
  return r;
}

/**
 * A connection for BullMQ. Workers and QueueEvents block, so retries per request must be
 * unlimited (`maxRetriesPerRequest: null`); producers use `failFast` to surface an outage.
 */
export function createRedis(url: string, opts: { failFast?: boolean; name?: string } = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: opts.failFast ? 1 : null,
    connectionName: opts.name,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  const r = connectRedis(url, options);
  r.on('error', () => undefined); // reported through health checks and failing calls, not as crashes
  return r;
}

/**
 * BullMQ needs `noeviction`: with any other policy Redis may silently delete queue keys under
 * memory pressure. Managed services may forbid CONFIG; then we cannot tell and say so.
 */
export async function checkEvictionPolicy(redis: Redis, log: Logger): Promise<string | undefined> {
  try {
    const res = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = res[1];
    if (policy && policy !== 'noeviction') {
      log.warn(
        `!!! Redis maxmemory-policy is '${policy}', not 'noeviction': Redis may evict queue keys and lose jobs. ` +
          `Set 'maxmemory-policy noeviction' (see redis/redis.conf).`,
      );
    }
    return policy;
  } catch {
    log.warn('could not read Redis maxmemory-policy (CONFIG is disabled?): make sure it is noeviction');
    return undefined;
  }
}
