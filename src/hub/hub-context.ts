import type { DefaultJobOptions, FlowProducer, Queue } from 'bullmq';
import type { Db } from '../db/db.js';
import type { Logger } from '../log/logger.js';
import { createRedis, type RedisClient } from '../redis/connection.js';
import { openFlowProducer, openQueue } from '../redis/queue-objects.js';
import type { Alerts } from './ports/alerts.js';
import type { HubConfig } from '../config/hub.config.js';
import type { HubSystems } from './ports/hub-systems.js';

/** What the hub's services use in one process: built once, closed once. */
export interface Hub {
  db: Db;
  redis: RedisClient;
  prefix: string;
  systems: HubSystems;
  flow: FlowProducer;
  /** A producer for one queue (one per name, on the hub's connection): a lone job is added with one script call, not a flow's MULTI. */
  queue(name: string): Queue;
  /** The job options of one of the hub's queues (the queue registry's defaults under the queue's own). */
  jobOptions(queue: string): DefaultJobOptions;
  log: Logger;
  alerts: Alerts;
  config: HubConfig;
  clock: () => number;
  close(): Promise<void>;
}

export interface OpenHubOptions {
  db: Db;
  /** Unset: an offline hub for read-only work (dry runs, drift); touching Redis then throws. */
  redisUrl?: string;
  prefix: string;
  log: Logger;
  config: HubConfig;
  /** Where alerts go (src/hub/services/alerts.service.ts, built with the hub's settings). */
  alerts: Alerts;
  /** The queue registry's job options for a queue (src/queues/queue-registry.ts, jobOptionsFor). */
  jobOptions(queue: string): DefaultJobOptions;
  /** The systems, built by the caller (src/app/open-hub.ts builds them from configuration). */
  systems: HubSystems;
  /** Close the systems with the hub (they were built for it alone). */
  ownsSystems?: boolean;
  clock?: () => number;
}

/** The hub over systems built elsewhere: Redis and the FlowProducer are opened on first use. */
export function createHub(o: OpenHubOptions): Hub {
  const { config, systems } = o;
  let redis: RedisClient | undefined;
  let flow: FlowProducer | undefined;
  const queues = new Map<string, Queue>();
  const needRedis = (): RedisClient => {
    if (!o.redisUrl) throw new Error('this contact hub operation needs Redis: set REDIS_URL');
    redis ??= createRedis(o.redisUrl, { name: `kith:${o.prefix}:hub` });
    return redis;
  };
  const log = o.log.child({ component: 'contact-hub' });
  return {
    db: o.db,
    get redis() {
      return needRedis();
    },
    prefix: o.prefix,
    systems,
    get flow() {
      flow ??= openFlowProducer({ connection: needRedis(), prefix: o.prefix }, log);
      return flow;
    },
    queue(name: string) {
      let q = queues.get(name);
      if (!q) queues.set(name, (q = openQueue(name, { connection: needRedis(), prefix: o.prefix }, log)));
      return q;
    },
    jobOptions: o.jobOptions,
    log,
    alerts: o.alerts,
    config,
    clock: o.clock ?? Date.now,
    async close() {
      await flow?.close().catch(() => undefined);
      await Promise.all([...queues.values()].map((q) => q.close().catch(() => undefined)));
      if (redis) await redis.quit().catch(() => redis!.disconnect());
      if (o.ownsSystems) await systems.close();
    },
  };
}
