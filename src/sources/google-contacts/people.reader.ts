import { loadCoreConfig } from '../../config/core.config.js';
import { ConfigError } from '../../config/config-error.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import { CursorInvalidError, isKithError } from '../../errors.js';
import { createRedis } from '../../redis/connection.js';
import { googleCredential } from '../../systems/google/google-auth.js';
import { answerOf } from '../../systems/google/google-request.js';
import { PEOPLE_WRITES_PER_MINUTE } from '../../systems/google/google-quota.js';
import { PeopleClient } from '../../systems/google/contacts/people-client.js';
import { createPeopleLimiters, peopleAccount } from '../../systems/google/contacts/people-limits.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { googleContactsConfig, type GoogleContactsConfig } from './index.js';
import { formatPeopleCursor, parsePeopleCursor, type PeopleCursor } from './people-cursor.js';
import { mapPerson } from './person.mapper.js';

/** Longest Retry-After a read sleeps out inside its step (a longer one delays the job). */
const PAUSE_WAIT_MS = 60_000;

/**
 * Reads the account's contacts through the People API as the same event stream the vCard and
 * CSV parsers yield. First run: `people.connections.list` page by page with `requestSyncToken`,
 * a cursor after each page and the sync token after the last. Later runs: the changes since that
 * token; a person with `metadata.deleted` yields ItemRemoved (its entry leaves the address book).
 * An expired token (400 EXPIRED_SYNC_TOKEN, after 7 days) is CursorInvalidError: collection reads
 * every contact again, and stable resource names make that add nothing twice.
 */
export const parser: SourceParser = {
  type: 'google-contacts',
  parse: readPeople,
};

async function* readPeople(input: ParseInput): AsyncIterable<SourceEvent> {
  const config = { ...googleContactsConfig.parse(input.config ?? {}), id: String(input.config?.id ?? 'google-contacts') } as GoogleContactsConfig;
  const start: PeopleCursor = input.cursor ? parsePeopleCursor(input.cursor) : { v: 1, mode: 'full' };
  const credential = googleCredential(loadCoreConfig().dataDir);
  const { url, prefix } = loadRedisConfig();
  if (!url) throw new ConfigError('REDIS_URL', 'is not set: the People API limits are kept in Redis, shared by every process using the account');
  const redis = createRedis(url, { name: `kith:people-quota:${config.id}` });
  try {
    // The limits are the account's: the contact hub's Google system spends the same budgets.
    const { reads, writes } = createPeopleLimiters({ redis: () => redis, prefix, account: peopleAccount(credential), readsPerMinute: config.reads_per_minute, writesPerMinute: PEOPLE_WRITES_PER_MINUTE, pauseWaitMs: PAUSE_WAIT_MS });
    const client = new PeopleClient({ baseUrl: config.base_url, auth: credential.client, reads, writes });
    yield* readPages(client, config, input, start);
  } finally {
    await redis.quit().catch(() => undefined);
  }
}

async function* readPages(client: PeopleClient, config: GoogleContactsConfig, input: ParseInput, start: PeopleCursor): AsyncIterable<SourceEvent> {
  const syncToken = start.mode === 'sync' ? start.syncToken : undefined;
  let pageToken = start.pageToken;
  let done = 0;
  for (;;) {
    let page;
    try {
      page = await client.listConnections({ pageSize: config.page_size, ...(syncToken ? { syncToken } : {}), ...(pageToken ? { pageToken } : {}) });
    } catch (err) {
      // A stored page token People no longer takes (400): the resumed read starts over, loudly.
      if (pageToken && isKithError(err) && err.kind === 'fatal' && answerOf(err.cause).status === 400) {
        throw new CursorInvalidError(`Google People refused the stored page token (${err.message})`, 'people_page_token', { cause: err });
      }
      throw err;
    }
    for (const p of page.connections ?? []) {
      const m = mapPerson(p);
      if (m.kind === 'contact') yield m.event;
      else if (m.kind === 'removed') yield { kind: 'removed', itemId: m.itemId };
      else yield { kind: 'skipped', file: `google contact ${p.resourceName ?? '?'}`, reason: m.reason };
    }
    done += page.connections?.length ?? 0;
    pageToken = page.nextPageToken ?? undefined;
    const next: PeopleCursor | undefined = pageToken
      ? syncToken
        ? { v: 1, mode: 'sync', syncToken, pageToken }
        : { v: 1, mode: 'full', pageToken }
      : page.nextSyncToken
        ? { v: 1, mode: 'sync', syncToken: page.nextSyncToken }
        : syncToken
          ? { v: 1, mode: 'sync', syncToken }
          : undefined;
    if (next) yield { kind: 'cursor', file: config.id, cursor: formatPeopleCursor(next) };
    const total = page.totalItems ?? page.totalPeople ?? undefined;
    input.progress?.({ stage: syncToken ? 'changes' : 'full', done, ...(total != null && !syncToken ? { total } : {}) });
    if (!pageToken) return;
  }
}
