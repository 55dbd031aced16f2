import { loadHubConfig } from '../config/hub.config.js';
import { loadNotionConfig } from '../config/notion.config.js';
import type { Env } from '../config/parse-env.js';
import { loadSupabaseConfig } from '../config/supabase.config.js';
import { loadTelegramConfig } from '../config/telegram.config.js';
import type { Db } from '../db/db.js';
import { Alerter } from '../hub/services/alerts.service.js';
import { RedisAlertState } from '../hub/stores/alert-state.store.js';
import type { Logger } from '../log/logger.js';
import { createRedis, type RedisClient } from '../redis/connection.js';
import { RequestLimiter } from '../systems/limits/request-limiter.js';
import { createNotionLimiter } from '../systems/notion/notion-limiter.js';
import { openNotionPages } from '../systems/notion/notion-pages.js';
import type { NotionPages } from '../systems/notion/notion-pages.port.js';
import { createSupabaseClient } from '../systems/supabase/supabase-client.js';
import { SupabaseTableRows } from '../systems/supabase/table-rows.js';
import { loadTableMappings } from './config/load-tables.js';
import type { TableMapping } from './config/tables-config.js';
import type { TableSyncDeps } from './services/table-sync-deps.js';

export interface OpenTableSyncOptions {
  db: Db;
  /** Unset: no shared Notion budget or alert state (a dry run from the CLI); this process keeps its own. */
  redisUrl?: string;
  prefix: string;
  log: Logger;
  env?: Env;
  tables?: readonly TableMapping[];
  /** Pre-built Notion pages (the bench); default: the Notion SDK from NOTION_TOKEN / NOTION_API_URL. */
  pages?: NotionPages;
  clock?: () => number;
}

export interface TableSync {
  deps: TableSyncDeps;
  close(): Promise<void>;
}

/**
 * The table sync of this deployment: the mapped tables from kith.config.yaml, Notion through
 * its SDK (every request under the deployment's shared 3 requests/s in Redis), Supabase through
 * supabase-js, alerts to KITH_ALERT_WEBHOOK_URL and Telegram, de-duplicated in Redis.
 */
export function openTableSync(o: OpenTableSyncOptions): TableSync {
  const env = o.env ?? process.env;
  const tables = o.tables ?? loadTableMappings(env);
  const supabase = loadSupabaseConfig(env);
  const hub = loadHubConfig(env);
  let redis: RedisClient | undefined;
  const shared = () => (redis ??= createRedis(o.redisUrl!, { name: `kith:${o.prefix}:tables` }));
  const notionPages = (): NotionPages => {
    const notion = loadNotionConfig(env);
    // With Redis, every process of the deployment spends Notion's one budget; without, this one keeps its own.
    const limiter = o.redisUrl ? createNotionLimiter({ redis: shared, prefix: o.prefix, rateLimit: notion.rateLimit }) : new RequestLimiter({ ...notion.rateLimit, service: 'Notion requests' });
    return openNotionPages({ token: notion.token, baseUrl: notion.apiUrl, limiter, log: o.log });
  };
  const pages = o.pages ?? notionPages();
  const client = createSupabaseClient(supabase);
  const rows = new Map<string, SupabaseTableRows>();
  const alerts = new Alerter(o.log.child({ component: 'tables' }), hub.alertWebhookUrl, {
    state: o.redisUrl ? new RedisAlertState(shared, o.prefix) : undefined,
    remindEveryMs: hub.alertRemindEveryMs,
    clock: o.clock,
    telegram: loadTelegramConfig(env),
  });
  const deps: TableSyncDeps = {
    db: o.db,
    pages,
    rows: (t) => rows.get(t) ?? rows.set(t, new SupabaseTableRows(client, t)).get(t)!,
    alerts,
    log: o.log,
    tables,
    clock: o.clock,
  };
  return {
    deps,
    async close() {
      await redis?.quit().catch(() => redis?.disconnect());
    },
  };
}
