import type { Env } from '../config/parse-env.js';
import type { Db } from '../db/db.js';
import type { HttpServerOptions } from '../http/server.js';
import { hubHealthSection, hubMetricsText } from './hub-status.js';
import { configuredSystems } from './systems-registry.js';
import { loadWebhookSettings, webhookRoutes } from './webhooks.route.js';

/** What the contact hub adds to the HTTP server: webhook routes, a /health section, /metrics gauges. */
export function hubHttpOptions(db: Db, env: Env = process.env): Required<Pick<HttpServerOptions, 'routes' | 'sections' | 'more'>> {
  const systems = configuredSystems(env);
  return {
    routes: [webhookRoutes(loadWebhookSettings(env))],
    sections: [() => hubHealthSection(db, systems)],
    more: [() => hubMetricsText(db, systems)],
  };
}
