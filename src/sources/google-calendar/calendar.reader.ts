import { loadCoreConfig } from '../../config/core.config.js';
import { ConfigError } from '../../config/config-error.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import { createRedis } from '../../redis/connection.js';
import { googleCredential } from '../../systems/google/google-auth.js';
import { SharedRequestLimiter } from '../../systems/limits/shared-request-limiter.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { CalendarClient } from './calendar-client.js';
import { type CalendarPosition, formatCalendarCursor, parseCalendarCursor } from './calendar-cursor.js';
import { type ApiEvent, mapCalendarEvent } from './calendar-event.mapper.js';
import { calendarLimiterKey } from './calendar-quota.js';
import { googleCalendarConfig, type GoogleCalendarConfig } from './index.js';

/** Longest Retry-After a read sleeps out inside its step (a longer one delays the job). */
const PAUSE_WAIT_MS = 60_000;

/**
 * Reads the selected calendars through the Calendar API as the same event stream a parser
 * yields. Per calendar, one after another: `events.list` with `singleEvents` page by page (the
 * first run), then the changes since that calendar's sync token (later runs); a cursor holding
 * every calendar's position after each page. Cancelled events yield ItemRemoved. A 410 on a
 * sync token is CursorInvalidError: collection reads the source again from the start.
 */
export const parser: SourceParser = {
  type: 'google-calendar',
  parse: readCalendars,
};

async function* readCalendars(input: ParseInput): AsyncIterable<SourceEvent> {
  const config = { ...googleCalendarConfig.parse(input.config ?? {}), id: String(input.config?.id ?? 'google-calendar') } as GoogleCalendarConfig;
  const stored = input.cursor ? parseCalendarCursor(input.cursor).calendars : {};
  const credential = googleCredential(loadCoreConfig().dataDir);
  const { url, prefix } = loadRedisConfig();
  if (!url) throw new ConfigError('REDIS_URL', 'is not set: the Calendar limit is kept in Redis, shared by every process reading the account');
  const redis = createRedis(url, { name: `kith:calendar-quota:${config.id}` });
  try {
    const account = 'account' in credential ? credential.account.email : undefined;
    const limiter = new SharedRequestLimiter({
      limit: config.requests_per_minute,
      windowMs: 60_000,
      service: 'Google Calendar requests',
      redis: () => redis,
      // The limit is per user: the stored account's address names it, else this source.
      key: calendarLimiterKey(prefix, account ?? `source:${config.id}`),
      requestTimeoutMs: 30_000,
      pauseWaitMs: PAUSE_WAIT_MS,
    });
    const client = new CalendarClient({ baseUrl: config.base_url, auth: credential.client, limiter });
    // Calendars no longer configured are dropped from the cursor; new ones are read in full.
    const positions: Record<string, CalendarPosition> = {};
    for (const id of config.calendars) if (stored[id]) positions[id] = stored[id];
    let done = 0;
    for (const calendarId of config.calendars) {
      let at: CalendarPosition = positions[calendarId] ?? {};
      const stage = at.syncToken ? `changes of ${calendarId}` : `calendar ${calendarId}`;
      do {
        const page = await client.listEvents(calendarId, at, config.page_size);
        for (const e of page.items ?? []) yield* eventsOf(calendarId, e);
        done += page.items?.length ?? 0;
        // Mid-list: the same query on from the next page; at its end, the changes since the new token.
        at = page.nextPageToken ? { ...(at.syncToken ? { syncToken: at.syncToken } : {}), pageToken: page.nextPageToken } : page.nextSyncToken ? { syncToken: page.nextSyncToken } : {};
        positions[calendarId] = at;
        yield { kind: 'cursor', file: config.id, cursor: formatCalendarCursor({ v: 1, calendars: { ...positions } }) };
        input.progress?.({ stage, done });
      } while (at.pageToken);
    }
  } finally {
    await redis.quit().catch(() => undefined);
  }
}

/** One event's events: its key and interaction, its removal once cancelled, or a skipped record. */
function* eventsOf(calendarId: string, e: ApiEvent): Iterable<SourceEvent> {
  const itemId = `${calendarId}/${e.id ?? ''}`;
  const mapped = mapCalendarEvent(e);
  if (mapped.kind === 'event') {
    yield { kind: 'item-key', itemId, externalId: mapped.event.externalId };
    yield mapped.event;
  } else if (mapped.kind === 'cancelled') {
    // Its key, when it still tells it: an instance the export gave and the API never did goes too.
    if (mapped.externalId) yield { kind: 'item-key', itemId, externalId: mapped.externalId };
    yield { kind: 'removed', itemId };
  } else {
    yield { kind: 'skipped', file: `google-calendar event ${itemId}`, reason: mapped.reason };
  }
}
