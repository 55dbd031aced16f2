import type { Env } from '../config/parse-env.js';
import type { Db } from '../db/db.js';
import type { HttpServerOptions } from '../http/server.js';
import { fromSupabaseRow, parseSupabaseRow } from '../systems/supabase/contact-row.mapper.js';
import { echoOf } from './echo-check.js';
import { hubHealthSection, hubMetricsText } from './hub-status.js';
import { configuredSystems } from './systems-registry.js';
import { loadWebhookSettings, webhookRoutes } from './webhooks.route.js';

/** What the contact hub adds to the HTTP server: webhook routes, a /health section, /metrics gauges. */
export function hubHttpOptions(db: Db, env: Env = process.env): Required<Pick<HttpServerOptions, 'routes' | 'sections' | 'more'>> {
  const systems = configuredSystems(env);
  const settings = loadWebhookSettings(env);
  // Supabase rows map without a lookup, so their echoes are recognised here, before any job.
  const supabaseEcho = async (record: unknown) => echoOf(db, fromSupabaseRow(parseSupabaseRow(record, settings.supabaseTable)));
  return {
    routes: [webhookRoutes(settings, { supabaseEcho })],
    sections: [() => hubHealthSection(db, systems)],
    more: [() => hubMetricsText(db, systems)],
  };
}
