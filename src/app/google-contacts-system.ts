import { loadCoreConfig } from '../config/core.config.js';
import { loadGoogleContactsConfig } from '../config/google-contacts.config.js';
import type { Env } from '../config/parse-env.js';
import { createLogger } from '../log/logger.js';
import { googleCredential } from '../systems/google/google-auth.js';
import { GoogleContactSystem } from '../systems/google/contacts/google-contact-system.js';
import { PeopleClient } from '../systems/google/contacts/people-client.js';
import { createPeopleLimiters, peopleAccount } from '../systems/google/contacts/people-limits.js';
import type { SharedLimits } from './hub-systems.js';

/**
 * Google Contacts as a hub system (GOOGLE_CONTACTS_HUB): the account `kith auth google` stored
 * (or GOOGLE_ACCESS_TOKEN), People's per-user reads and writes a minute kept in Redis for every
 * process (the google-contacts source spends the same budgets), an expired sync token logged.
 */
export async function buildGoogleContactSystem(env: Env, shared?: SharedLimits): Promise<GoogleContactSystem> {
  const c = loadGoogleContactsConfig(env);
  const credential = googleCredential(loadCoreConfig(env).dataDir, env as NodeJS.ProcessEnv);
  const limits = createPeopleLimiters({ ...(shared ? { redis: shared.redis } : {}), prefix: shared?.prefix ?? '', account: peopleAccount(credential), readsPerMinute: c.reads.limit, writesPerMinute: c.writes.limit });
  const log = createLogger(env.KITH_LOG_LEVEL ?? 'info', 'google-contacts');
  return new GoogleContactSystem(new PeopleClient({ baseUrl: c.apiUrl, auth: credential.client, ...limits }), {
    onCursorReset: (reason) => log.warn({ system: 'google', reason }, `Google contacts: ${reason}; the hub reads every contact again`),
  });
}
