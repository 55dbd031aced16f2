import type { Env } from '../config/parse-env.js';
import type { Db } from '../db/db.js';
import type { HttpServerOptions } from '../http/server.js';
import { fromSupabaseRow, parseSupabaseRow } from '../systems/supabase/contact-row.mapper.js';
import { twentyRecordWithoutLookup } from '../systems/twenty/person.mapper.js';
import { probeEcho } from '../hub/services/echo-check.service.js';
import { hubHealthSection } from '../hub/services/hub-status.service.js';
import { hubMetrics } from './hub-metrics.js';
import { configuredSystems } from './hub-systems.js';
import { twentyMapping } from '../config/twenty.config.js';
import type { EchoFilter } from '../producers/inbound.producer.js';
import { webhookRoutes } from '../producers/webhook-producers.js';
import { loadWebhookSettings } from '../producers/webhook-settings.js';
import { loadHttpConfig } from '../config/http.config.js';
import { loadNotionWebhookToken, loadTableMappings } from '../tables/config/load-tables.js';
import { tablesHealthSection } from '../tables/services/table-status.service.js';
import { tablesRoutes } from '../tables/tables-http.js';
import type { Logger } from '../log/logger.js';

/** What the contact hub adds to the HTTP server: webhook routes, a /health section, /metrics gauges. */
export function hubHttpOptions(db: Db, env: Env = process.env, log?: Logger): Required<Pick<HttpServerOptions, 'routes' | 'sections' | 'metrics'>> {
  const systems = configuredSystems(env);
  const settings = loadWebhookSettings(env);
  // Records that map without a lookup have their echoes recognised here, before any job.
  const supabaseEcho: EchoFilter = async (record, prefix) => probeEcho(db, fromSupabaseRow(parseSupabaseRow(record, settings.supabaseTable)), prefix);
  const mapping = twentyMapping(env);
  const twentyEcho: EchoFilter = async (record, prefix) => {
    const carried = twentyRecordWithoutLookup(record, mapping);
    return carried ? probeEcho(db, carried, prefix) : undefined;
  };
  // Mapped Notion ↔ Supabase tables: their webhooks and /api/sync routes, a /health section each.
  const tables = loadTableMappings(env);
  const tableRoutes = log ? [tablesRoutes({ db, log, tables, notionWebhookToken: loadNotionWebhookToken(env), admin: loadHttpConfig(env).admin, contacts: systems.targets.length > 0 })] : [];
  return {
    routes: [webhookRoutes(settings, { supabaseEcho, twentyEcho, tableNames: new Set(tables.map((t) => t.table)) }), ...tableRoutes],
    sections: [() => hubHealthSection(db, systems), () => tablesHealthSection(db, tables)],
    metrics: [hubMetrics(db, systems)],
  };
}
