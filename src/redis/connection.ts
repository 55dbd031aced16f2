import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log/logger.js';

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
  const r = new Redis(url, options);
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
