import type { Queue } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Db } from '../db/db.js';
import type { Logger } from '../log/logger.js';
import { jobOptionsFor, type QueueSpec } from '../queues/queue-registry.js';
import { createRedis, type RedisClient } from '../redis/connection.js';
import { openQueue } from '../redis/queue-objects.js';
import { registerBullBoard } from './routes/bull-board.route.js';
import { type HealthExtras, registerHealthRoute } from './routes/health.route.js';
import { type MetricsExtras, registerMetricsRoute } from './routes/metrics.route.js';
import { registerSearchRoute, searchHealth } from './routes/search.route.js';

export interface HttpServerOptions extends HealthExtras, MetricsExtras {
  redisUrl: string;
  prefix: string;
  db: Db;
  queues: readonly QueueSpec[];
  admin?: { user: string; password: string };
  log: Logger;
  /** Largest accepted request body; webhooks answer 413 beyond it. */
  bodyLimit?: number;
  /** Further routes (webhook producers, …) registered by other areas. */
  routes?: Array<(app: FastifyInstance, ctx: { redis: RedisClient; queues: ReadonlyMap<string, Queue> }) => Promise<void> | void>;
}

export interface HttpServer {
  app: FastifyInstance;
  queues: ReadonlyMap<string, Queue>;
  close(): Promise<void>;
}

export async function buildHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    // Requests are not logged one by one (webhooks arrive by the hundred per second); warnings are.
    loggerInstance: opts.log.child({ component: 'http' }, { level: 'warn' }),
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
  }) as unknown as FastifyInstance;
  const redis = createRedis(opts.redisUrl, { failFast: true, name: `kith:${opts.prefix}:http` });
  const blocking = createRedis(opts.redisUrl, { name: `kith:${opts.prefix}:http-queues` });
  const queues = new Map(opts.queues.map((s) => [s.name, openQueue(s.name, { connection: blocking, prefix: opts.prefix, defaultJobOptions: jobOptionsFor(s.name) }, opts.log)]));
  const list = [...queues.values()];
  registerHealthRoute(app, { redis, db: opts.db, sections: [...(opts.sections ?? []), () => searchHealth(opts.db)] });
  registerMetricsRoute(app, { redis, prefix: opts.prefix, queues: list, metrics: opts.metrics });
  await registerBullBoard(app, { queues: list, admin: opts.admin });
  await registerSearchRoute(app, { db: opts.db, admin: opts.admin });
  for (const r of opts.routes ?? []) await r(app, { redis, queues });
  return {
    app,
    queues,
    async close() {
      await app.close();
      await Promise.all(list.map((q) => q.close().catch(() => undefined)));
      redis.disconnect();
      await blocking.quit().catch(() => blocking.disconnect());
    },
  };
}
