import { loadBigQueryConfig } from '../config/bigquery.config.js';
import type { Env } from '../config/parse-env.js';
import { isSupabaseConfigured, loadSupabaseConfig } from '../config/supabase.config.js';
import { isTwentyConfigured, loadTwentyConfig } from '../config/twenty.config.js';
import { isNotionConfigured, loadNotionConfig } from '../config/notion.config.js';
import { isGoogleContactsConfigured } from '../config/google-contacts.config.js';
import type { SystemName } from '../hub/domain/canonical-contact.js';
import type { HubCanonicalStore, HubSystems } from '../hub/ports/hub-systems.js';
import type { ContactSystem } from '../hub/ports/contact-system.js';
import type { Db } from '../db/db.js';
import { defaultOwnershipFor, effectiveOwnership } from '../hub/domain/field-ownership.js';
import { loadFieldOwnership } from './field-ownership.js';
import { LocalCanonicalStore } from '../systems/local/local-canonical.store.js';
import { LocalContactSystem } from '../systems/local/local-contact-system.js';
import type { TargetSystem } from '../hub/jobs/hub-queues.js';
import type { RedisClient } from '../redis/connection.js';

/** How long one Twenty request may take (the client's own default). */
const TWENTY_TIMEOUT_MS = 30_000;

/**
 * Every system the hub talks to, from configuration: the canonical store (BigQuery when
 * BIGQUERY_PROJECT_ID is set, else the local database) and the targets (every other configured
 * system among supabase, local, twenty, bigquery). The local database is always configured.
 * Each system's module (and its SDK) is imported only when that system is configured: a
 * deployment without BigQuery never loads @google-cloud/bigquery.
 */
export interface SharedLimits {
  /** The deployment's Redis (a getter: the hub opens its connection on first use). */
  redis: () => RedisClient;
  prefix: string;
}

/** Where the deployment's Twenty request budget is kept: one key for every process. */
export const twentyLimiterKey = (prefix: string) => `${prefix}:twenty:limiter`;

/** Notion is a hub system when its token and the contacts data source are both set. */
export function isNotionContactsConfigured(env: Env = process.env): boolean {
  return isNotionConfigured(env) && Boolean(env.NOTION_CONTACTS_DATA_SOURCE?.trim());
}

export async function buildHubSystems(db: Db, env: Env = process.env, shared?: SharedLimits): Promise<HubSystems> {
  const targets = new Map<TargetSystem, ContactSystem>();
  const bq = loadBigQueryConfig(env);
  let canonical: HubCanonicalStore;
  if (bq) {
    const [{ createBigQueryContactSystem }, { BigQueryCanonicalStore }] = await Promise.all([
      import('../systems/bigquery/bigquery-contact-system.js'),
      import('../systems/bigquery/bigquery-canonical.store.js'),
    ]);
    const system = createBigQueryContactSystem(bq);
    await system.ensureSchema();
    canonical = new BigQueryCanonicalStore(system);
    targets.set('local', new LocalContactSystem(db));
  } else {
    canonical = new LocalCanonicalStore(db);
  }
  if (isSupabaseConfigured(env)) {
    const c = loadSupabaseConfig(env);
    const [{ createSupabaseClient }, { SupabaseContactSystem }] = await Promise.all([
      import('../systems/supabase/supabase-client.js'),
      import('../systems/supabase/supabase-contact-system.js'),
    ]);
    targets.set('supabase', new SupabaseContactSystem(createSupabaseClient(c), c.table));
  }
  if (isTwentyConfigured(env)) {
    const c = loadTwentyConfig(env);
    const [{ TwentyClient }, { TwentyContactSystem }, { SharedRequestLimiter }] = await Promise.all([
      import('../systems/twenty/twenty-client.js'),
      import('../systems/twenty/twenty-contact-system.js'),
      import('../systems/limits/shared-request-limiter.js'),
    ]);
    // With Redis, every process on every host spends one budget; without (an offline hub), its own.
    const limiter = shared ? new SharedRequestLimiter({ ...c.rateLimit, service: 'Twenty requests', redis: shared.redis, key: twentyLimiterKey(shared.prefix), requestTimeoutMs: TWENTY_TIMEOUT_MS }) : undefined;
    targets.set('twenty', new TwentyContactSystem(new TwentyClient({ apiUrl: c.apiUrl, apiKey: c.apiKey, rateLimit: c.rateLimit, limiter, timeoutMs: TWENTY_TIMEOUT_MS }), { categoryField: c.categoryField }));
  }
  if (isNotionContactsConfigured(env)) {
    const c = loadNotionConfig(env);
    const [{ openNotionPages }, { NotionContactSystem }, { createNotionLimiter }] = await Promise.all([
      import('../systems/notion/notion-pages.js'),
      import('../systems/notion/notion-contact-system.js'),
      import('../systems/notion/notion-limiter.js'),
    ]);
    const { RequestLimiter } = await import('../systems/limits/request-limiter.js');
    // With Redis, every process on every host spends Notion's one budget; without (an offline hub), its own.
    const limiter = shared ? createNotionLimiter({ redis: shared.redis, prefix: shared.prefix, rateLimit: c.rateLimit }) : new RequestLimiter({ ...c.rateLimit, service: 'Notion requests' });
    targets.set('notion', new NotionContactSystem(openNotionPages({ token: c.token, baseUrl: c.apiUrl, limiter }), c.contactsDataSource!, c.contactProperties));
  }
  if (isGoogleContactsConfigured(env)) {
    const { buildGoogleContactSystem } = await import('./google-contacts-system.js');
    targets.set('google', await buildGoogleContactSystem(env, shared));
  }
  const { ownership, ownershipSource } = loadFieldOwnership(env);
  // Owners that do not feed this deployment (Google, say) own nothing here: see effectiveOwnership.
  const active: SystemName[] = [canonical.system, 'kith', ...targets.keys()];
  return {
    canonical,
    canonicalName: canonical.system,
    targets,
    ownership: effectiveOwnership(ownershipSource === 'default' ? defaultOwnershipFor(active) : ownership, active),
    async close() {
      await Promise.all([...targets.values()].map((t) => t.close?.().catch(() => undefined)));
    },
  };
}

/** Which systems are configured, without opening any client (for /health and /metrics). */
export function configuredSystems(env: Env = process.env): { canonical: SystemName; targets: TargetSystem[] } {
  const bq = Boolean(env.BIGQUERY_PROJECT_ID?.trim());
  const targets: TargetSystem[] = [];
  if (bq) targets.push('local');
  if (isSupabaseConfigured(env)) targets.push('supabase');
  if (isTwentyConfigured(env)) targets.push('twenty');
  if (isNotionContactsConfigured(env)) targets.push('notion');
  if (isGoogleContactsConfigured(env)) targets.push('google');
  return { canonical: bq ? 'bigquery' : 'local', targets };
}

/**
 * The canonical store alone, for readers outside the hub (the web view's contact trail reads
 * its history): BigQuery's, its client opened on first use, when BIGQUERY_PROJECT_ID is set;
 * else the local database's.
 */
export function canonicalStoreReader(db: Db, env: Env = process.env): () => Promise<HubCanonicalStore> {
  let store: Promise<HubCanonicalStore> | undefined;
  return () => {
    store ??= (async () => {
      const bq = loadBigQueryConfig(env);
      if (!bq) return new LocalCanonicalStore(db);
      const [{ createBigQueryContactSystem }, { BigQueryCanonicalStore }] = await Promise.all([
        import('../systems/bigquery/bigquery-contact-system.js'),
        import('../systems/bigquery/bigquery-canonical.store.js'),
      ]);
      return new BigQueryCanonicalStore(createBigQueryContactSystem(bq));
    })().catch((err: unknown) => {
      store = undefined;
      throw err;
    });
    return store;
  };
}
