import { loadHubConfig } from '../config/hub.config.js';
import { loadTelegramConfig } from '../config/telegram.config.js';
import type { Env } from '../config/parse-env.js';
import type { Db } from '../db/db.js';
import { createHub, type Hub } from '../hub/hub-context.js';
import type { HubSystems } from '../hub/ports/hub-systems.js';
import { Alerter } from '../hub/services/alerts.service.js';
import { RedisAlertState } from '../hub/stores/alert-state.store.js';
import type { Logger } from '../log/logger.js';
import { jobOptionsFor } from '../queues/queue-registry.js';
import { buildHubSystems } from './hub-systems.js';

export interface OpenHubOptions {
  db: Db;
  /** Unset: an offline hub for read-only work (dry runs, drift); touching Redis then throws. */
  redisUrl?: string;
  prefix: string;
  log: Logger;
  env?: Env;
  /** Pre-built systems (tests, the bench); default: from env, closed with the hub. */
  systems?: HubSystems;
  clock?: () => number;
}

/** The contact hub of this deployment: its settings and its systems from configuration, handed in. */
export async function openHub(o: OpenHubOptions): Promise<Hub> {
  const env = o.env ?? process.env;
  const config = loadHubConfig(env);
  // The alerts' de-duplication state and Twenty's request budget are shared by every process of
  // the deployment, on the hub's own Redis connection.
  const built: { hub?: Hub } = {};
  const systems = o.systems ?? (await buildHubSystems(o.db, env, o.redisUrl ? { redis: () => built.hub!.redis, prefix: o.prefix } : undefined));
  const state = o.redisUrl ? new RedisAlertState(() => built.hub!.redis, o.prefix) : undefined;
  const alerts = new Alerter(o.log.child({ component: 'contact-hub' }), config.alertWebhookUrl, { state, remindEveryMs: config.alertRemindEveryMs, clock: o.clock, telegram: loadTelegramConfig(env) });
  const hub = (built.hub = createHub({ db: o.db, redisUrl: o.redisUrl, prefix: o.prefix, log: o.log, config, alerts, jobOptions: jobOptionsFor, systems, ownsSystems: !o.systems, clock: o.clock }));
  return hub;
}
