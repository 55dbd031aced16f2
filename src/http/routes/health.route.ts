import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/db.js';
import { syncHealth } from '../../sync/sync-runs.store.js';
import type { RedisClient } from '../../redis/connection.js';

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

export interface HealthExtras {
  /** Further sections (per-system contact sync state, sources) contributed by other areas. */
  sections?: Array<() => Promise<Record<string, unknown>>>;
}

/** GET /health: the sync status (run in progress, last run, runs and success rate over 24 h) plus Redis and database reachability; 503 when either is down. */
export function registerHealthRoute(app: FastifyInstance, deps: { redis: RedisClient; db: Db } & HealthExtras): void {
  app.get('/health', async (_req, reply) => {
    const [redisOk, dbOk] = await Promise.all([
      withTimeout(deps.redis.ping(), 1000).then(() => true, () => false),
      withTimeout(deps.db.ping(), 1000).then((ok) => ok, () => false),
    ]);
    const body: Record<string, unknown> = {
      status: redisOk && dbOk ? 'healthy' : 'unhealthy',
      ...(dbOk ? await syncHealth(deps.db) : { sync_status: null, stats: null }),
      redis: { reachable: redisOk },
      database: { reachable: dbOk, engine: deps.db.engine },
    };
    if (dbOk && redisOk) for (const s of deps.sections ?? []) Object.assign(body, await s().catch((e: Error) => ({ section_error: e.message })));
    return reply.code(redisOk && dbOk ? 200 : 503).send(body);
  });
}
