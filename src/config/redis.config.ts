import { z } from 'zod';
import { isClusterUrl, isSentinelUrl, readsAsRedisTarget } from '../redis/connection.js';
import { type Env, parseEnv } from './parse-env.js';

export const redisSchema = z.object({
  REDIS_URL: z
    .string()
    .refine(
      (v) => /^(rediss?:\/\/|rediss?-(cluster|sentinel):\/\/|unix:\/\/\/)/.test(v),
      'must start with redis://, rediss:// or unix:/// (a Unix socket path), or name Redis Cluster nodes with redis-cluster:// or rediss-cluster://, or Sentinels with redis-sentinel://',
    )
    .refine((v) => isClusterUrl(v) || isSentinelUrl(v) || URL.canParse(v), 'is not a valid URL')
    .refine((v) => !v.startsWith('unix:') || readsAsRedisTarget(v), 'a Unix socket URL is unix:///path/to/redis.sock, optionally with ?db=N')
    .refine((v) => !isClusterUrl(v) || readsAsRedisTarget(v), 'a cluster URL is redis-cluster://[:password@]host1:port1,host2:port2,… (rediss-cluster:// for TLS)')
    .refine((v) => !isSentinelUrl(v) || readsAsRedisTarget(v), 'a Sentinel URL is redis-sentinel://[:password@]host1:26379,host2:26379/<master name>[?db=N]')
    .optional(),
  KITH_QUEUE_PREFIX: z
    .string()
    .regex(/^\{[A-Za-z0-9_-]+\}$/, 'must be a Redis Cluster hash tag such as {kith}')
    .default('{kith}'),
});

export interface RedisConfig {
  /**
   * Unset: Kith starts and supervises its own redis-server under KITH_DATA_DIR/redis (never a
   * cluster). `redis-cluster://h1:p1,h2:p2`: a Redis Cluster, reached through its seed nodes;
   * `redis-sentinel://s1:26379,s2:26379/mymaster`: the master Sentinels name, followed through failovers.
   */
  url?: string;
  /**
   * BullMQ key prefix, and the prefix of every key Kith keeps itself (contact locks, echo
   * intents, replay markers, the run lock, job metrics): a hash tag keeps them all in one
   * cluster slot, so no script, MULTI or pipeline spans two slots.
   */
  prefix: string;
}

export function loadRedisConfig(env: Env = process.env): RedisConfig {
  const c = parseEnv(redisSchema, env, ['REDIS_URL']);
  return { url: c.REDIS_URL, prefix: c.KITH_QUEUE_PREFIX };
}
