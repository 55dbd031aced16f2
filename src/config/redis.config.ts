import { z } from 'zod';
import { readsAsRedisTarget } from '../redis/connection.js';
import { type Env, parseEnv } from './parse-env.js';

export const redisSchema = z.object({
  REDIS_URL: z
    .string()
    .refine((v) => /^(rediss?:\/\/|unix:\/\/\/)/.test(v), 'must start with redis://, rediss:// or unix:/// (a Unix socket path)')
    .refine((v) => URL.canParse(v), 'is not a valid URL')
    .refine((v) => !v.startsWith('unix:') || readsAsRedisTarget(v), 'a Unix socket URL is unix:///path/to/redis.sock, optionally with ?db=N')
    .optional(),
  KITH_QUEUE_PREFIX: z
    .string()
    .regex(/^\{[A-Za-z0-9_-]+\}$/, 'must be a Redis Cluster hash tag such as {kith}')
    .default('{kith}'),
});

export interface RedisConfig {
  /** Unset: Kith starts and supervises its own redis-server under KITH_DATA_DIR/redis. */
  url?: string;
  /** BullMQ key prefix; a hash tag keeps every queue of one deployment in one cluster slot. */
  prefix: string;
}

export function loadRedisConfig(env: Env = process.env): RedisConfig {
  const c = parseEnv(redisSchema, env, ['REDIS_URL']);
  return { url: c.REDIS_URL, prefix: c.KITH_QUEUE_PREFIX };
}
